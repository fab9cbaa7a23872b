package dev.edgefit.ui;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.DeviceProfile.Cpu;
import dev.edgefit.device.DeviceProfile.Runtime;
import dev.edgefit.device.Platform;
import javafx.collections.FXCollections;
import javafx.geometry.Insets;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.layout.GridPane;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A form for a user's own device profile: new, a copy of another profile, or an edit of one in the user's folder.
 * Saving writes {@code <id>.yaml} into {@link DeviceCatalog#userFolder()} (atomically) in the catalog's schema and
 * reads it back through the catalog's validation, so a saved profile always loads. Every figure typed here gets
 * the one source the user gives; figures copied unchanged keep their original sources; runtimes and accelerators
 * of a copied profile are kept, its published measurements are not (they were taken on the original device).
 */
final class ProfileEditor extends GridPane {
    final TextField id = new TextField();
    final TextField name = new TextField();
    final ChoiceBox<Platform> platform = new ChoiceBox<>(FXCollections.observableArrayList(Platform.values()));
    final TextField arch = new TextField();
    final TextField cpuModel = new TextField();
    final TextField cores = new TextField();
    final TextField clockMhz = new TextField();
    final TextField int8Macs = new TextField();
    final TextField fp32Macs = new TextField();
    final TextField ram = new TextField();
    final TextField storage = new TextField();
    final TextField bandwidth = new TextField();
    final TextField power = new TextField();
    final TextField runtimes = new TextField();
    final TextField formats = new TextField();
    final TextField maxModel = new TextField();
    final TextField maxRam = new TextField();
    final TextField source = new TextField();
    final Label error = new Label();
    private final DeviceProfile base;
    private final boolean copy;

    /** @param base the profile to copy or edit, or null for a new one */
    ProfileEditor(DeviceProfile base, boolean copy) {
        this.base = base;
        this.copy = copy;
        setHgap(8);
        setVgap(6);
        setPadding(new Insets(10));
        setId("profile-editor");
        error.getStyleClass().add("error");
        error.setWrapText(true);
        error.setId("profile-error");
        int r = 0;
        r = row(r, "id (file name)", id, "e.g. my-board");
        r = row(r, "name", name, "e.g. My Board (STM32F746)");
        platform.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Platform p) {
                return p == null ? "" : p.displayName();
            }

            @Override
            public Platform fromString(String s) {
                return Platform.parse(s).orElse(null);
            }
        });
        platform.setId("profile-platform");
        add(new Label("platform"), 0, r);
        add(platform, 1, r++);
        r = row(r, "CPU architecture", arch, "e.g. armv7e-m, aarch64, x86_64");
        r = row(r, "CPU model", cpuModel, "e.g. STM32F746 (Cortex-M7)");
        r = row(r, "cores", cores, "whole number");
        r = row(r, "clock (MHz)", clockMhz, "fastest core");
        r = row(r, "int8 MACs / cycle / core", int8Macs, "e.g. 2 for Cortex-M4 DSP");
        r = row(r, "fp32 MACs / cycle / core", fp32Macs, "e.g. 1");
        r = row(r, "RAM", ram, "e.g. 320KiB, 4GiB");
        r = row(r, "flash / storage", storage, "e.g. 1MiB, 32GB");
        r = row(r, "memory bandwidth (GB/s)", bandwidth, "optional");
        r = row(r, "typical power (W)", power, "optional");
        r = row(r, "runtimes", runtimes, "e.g. tflm, tflite-cpu, ort");
        r = row(r, "formats", formats, "e.g. tflite-micro, onnx");
        r = row(r, "default max model size", maxModel, "optional, e.g. 512KiB");
        r = row(r, "default max RAM", maxRam, "optional, e.g. 160KiB");
        r = row(r, "source of these figures", source, "datasheet or page, e.g. STM32F746 datasheet DS10916");
        add(error, 0, r, 2, 1);
        if (base != null) {
            id.setText(copy ? base.id() + "-copy" : base.id());
            id.setDisable(!copy);
            name.setText(copy ? base.name() + " (copy)" : base.name());
            platform.setValue(base.platform());
            arch.setText(base.cpu().arch());
            cpuModel.setText(base.cpu().model());
            cores.setText(Integer.toString(base.cpu().cores()));
            clockMhz.setText(base.cpu().clockMhz() == null ? "" : Integer.toString(base.cpu().clockMhz()));
            int8Macs.setText(num(base.cpu().macsPerCycle().get("int8")));
            fp32Macs.setText(num(base.cpu().macsPerCycle().get("fp32")));
            ram.setText(Constraints.formatBytesExact(base.ramBytes()).replace(" ", ""));
            storage.setText(Constraints.formatBytesExact(base.storageBytes()).replace(" ", ""));
            bandwidth.setText(num(base.memoryBandwidthGBs()));
            power.setText(num(base.typicalPowerW()));
            runtimes.setText(String.join(", ", base.runtimeIds()));
            formats.setText(String.join(", ", base.formats()));
            maxModel.setText(base.defaultConstraints().maxModelBytes() == null ? "" : Constraints.formatBytesExact(base.defaultConstraints().maxModelBytes()).replace(" ", ""));
            maxRam.setText(base.defaultConstraints().maxRamBytes() == null ? "" : Constraints.formatBytesExact(base.defaultConstraints().maxRamBytes()).replace(" ", ""));
        } else {
            platform.setValue(Platform.ARM_CORTEX);
        }
    }

    private int row(int r, String label, TextField f, String prompt) {
        f.setPromptText(prompt);
        f.setPrefColumnCount(24);
        f.setId("profile-" + label.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(Locale.ROOT).replaceAll("-$", ""));
        add(new Label(label), 0, r);
        add(f, 1, r);
        return r + 1;
    }

    private static String num(Double d) {
        return d == null ? "" : (d == Math.rint(d) ? Long.toString(d.longValue()) : d.toString());
    }

    /**
     * The profile as typed.
     *
     * @throws EdgeFitException (BAD_PARAMETER) with one sentence naming the field
     */
    DeviceProfile profile() {
        String pid = id.getText().trim();
        if (!pid.matches("[a-z0-9][a-z0-9._-]*")) {
            throw EdgeFitException.badParameter("The id must be lower-case letters, digits, '.', '_' or '-' (it becomes the file name), not '" + pid + "'.");
        }
        String src = source.getText().trim();
        Map<String, String> sources = new LinkedHashMap<>(base == null ? Map.of() : base.sources());
        int cpuCores = whole("cores", cores.getText());
        int clock = whole("clock", clockMhz.getText());
        Map<String, Double> macs = new LinkedHashMap<>();
        if (!int8Macs.getText().isBlank()) {
            macs.put("int8", positive("int8 MACs per cycle", int8Macs.getText()));
        }
        if (!fp32Macs.getText().isBlank()) {
            macs.put("fp32", positive("fp32 MACs per cycle", fp32Macs.getText()));
        }
        long ramBytes = Constraints.parseBytes(ram.getText());
        long storageBytes = Constraints.parseBytes(storage.getText());
        Double bw = bandwidth.getText().isBlank() ? null : positive("memory bandwidth", bandwidth.getText());
        Double watts = power.getText().isBlank() ? null : positive("typical power", power.getText());
        List<Runtime> rts = new ArrayList<>();
        for (String rid : list(runtimes.getText())) {
            Runtime kept = base == null ? null : base.runtime(rid).orElse(null);
            rts.add(kept != null ? kept : new Runtime(rid, DeviceProfile.Target.CPU, 1, List.of("int8", "fp32"), List.of(), null,
                    false, null, null, src.isEmpty() ? null : src, true));
        }
        Constraints c = new Constraints(maxModel.getText().isBlank() ? null : Constraints.parseBytes(maxModel.getText()),
                maxRam.getText().isBlank() ? null : Constraints.parseBytes(maxRam.getText()),
                base == null ? null : base.defaultConstraints().maxLatencyMs());
        Cpu cpu = new Cpu(arch.getText().trim(), cpuModel.getText().trim(), cpuCores, clock,
                base == null ? List.of() : base.cpu().simd(), base == null || base.cpu().clusters().stream().mapToInt(DeviceProfile.CpuCluster::count).sum() != cpuCores
                        || base.cpu().clockMhz() == null || base.cpu().clockMhz() != clock ? List.of() : base.cpu().clusters(), macs);
        DeviceProfile p = new DeviceProfile(pid, name.getText().trim(), Objects.requireNonNull(platform.getValue()), cpu, ramBytes,
                base == null ? null : base.externalRamBytes(), storageBytes, base == null ? List.of() : base.accelerators(), bw, watts,
                base == null ? null : base.peakPowerW(), rts, list(formats.getText()), c, sources, base == null ? null : base.notes(),
                base == null || copy ? List.of() : base.measurements(), base == null ? List.of() : base.connectivity());
        // A figure that differs from the base (or is new) takes the user's source.
        Map<String, Object> now = figures(p);
        Map<String, Object> before = base == null ? Map.of() : figures(base);
        for (Map.Entry<String, Object> e : now.entrySet()) {
            if (e.getValue() != null && !Objects.equals(e.getValue(), before.get(e.getKey()))) {
                if (src.isEmpty()) {
                    throw EdgeFitException.badParameter("Give the source of the figures you entered (" + e.getKey() + " is new or changed): a datasheet or vendor page.");
                }
                sources.put(e.getKey(), src);
            }
        }
        return new DeviceProfile(p.id(), p.name(), p.platform(), p.cpu(), p.ramBytes(), p.externalRamBytes(), p.storageBytes(), p.accelerators(),
                p.memoryBandwidthGBs(), p.typicalPowerW(), p.peakPowerW(), p.runtimes(), p.formats(), p.defaultConstraints(), sources, p.notes(),
                p.measurements(), p.connectivity());
    }

    /** Writes the profile into the user's folder and reads it back through the catalog's checks. */
    Path save() {
        DeviceProfile p = profile();
        Path dir = DeviceCatalog.userFolder();
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw EdgeFitException.io(dir, "could not be created (" + e.getMessage() + ")", e);
        }
        Path f = DeviceCatalog.write(p, dir);
        try {
            DeviceCatalog.loadFile(f);
        } catch (EdgeFitException e) {
            try {
                java.nio.file.Files.deleteIfExists(f);
            } catch (java.io.IOException ignored) {
                // the message below names the file; nothing more can be done here
            }
            throw e;
        }
        return f;
    }

    private static Map<String, Object> figures(DeviceProfile p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu.cores", p.cpu().cores());
        m.put("cpu.clockMhz", p.cpu().clockMhz());
        m.put("cpu.macsPerCycle", p.cpu().macsPerCycle().isEmpty() ? null : p.cpu().macsPerCycle());
        m.put("cpu.model", p.cpu().model());
        m.put("ramBytes", p.ramBytes());
        m.put("storageBytes", p.storageBytes());
        m.put("memoryBandwidthGBs", p.memoryBandwidthGBs());
        m.put("typicalPowerW", p.typicalPowerW());
        m.put("runtimes", p.runtimeIds().isEmpty() ? null : p.runtimeIds());
        return m;
    }

    private static List<String> list(String text) {
        return Arrays.stream(text.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).distinct().toList();
    }

    private static int whole(String what, String text) {
        try {
            int v = Integer.parseInt(text.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw EdgeFitException.badParameter("The " + what + " must be a whole number greater than zero, not '" + text.trim() + "'.");
    }

    private static double positive(String what, String text) {
        try {
            double v = Double.parseDouble(text.trim());
            if (v > 0 && Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw EdgeFitException.badParameter("The " + what + " must be a number greater than zero, not '" + text.trim() + "'.");
    }
}
