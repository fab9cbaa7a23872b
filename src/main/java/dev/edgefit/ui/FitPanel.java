package dev.edgefit.ui;

import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.FitCheck;
import dev.edgefit.device.HostInfo;
import dev.edgefit.eval.Metrics;
import dev.edgefit.pipeline.Step;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.VBox;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pass or fail of the current step against the selected device's limits, with margins; recomputed from the
 * measured figures whenever the step, the device or a limit changes (nothing is run again). Latency and peak RAM
 * are this machine's, and the panel says so.
 */
final class FitPanel extends VBox {
    final Label verdict = new Label();
    final VBox rows = new VBox(4);
    private final Label subject = new Label();
    private final Label deviceFacts = new Label();
    private final Label formatWarning = new Label();
    private final Label note = new Label();
    final Label onDevice = new Label();

    FitPanel() {
        super(6);
        setId("fit-panel");
        verdict.setId("fit-verdict");
        verdict.getStyleClass().addAll("fit", "fit-verdict");
        verdict.setMaxWidth(Double.MAX_VALUE);
        verdict.setWrapText(true);
        onDevice.setId("fit-on-device");
        onDevice.getStyleClass().addAll("fit", "fit-estimate");
        onDevice.setMaxWidth(Double.MAX_VALUE);
        for (Label l : List.of(subject, deviceFacts, formatWarning, note, onDevice)) {
            l.setWrapText(true);
        }
        deviceFacts.getStyleClass().add("note");
        formatWarning.getStyleClass().add("warning");
        note.getStyleClass().add("note");
        getChildren().addAll(verdict, subject, rows, onDevice, formatWarning, deviceFacts, note);
        showEstimate(null);
        show(null, null, null, false);
    }

    /**
     * @param device      the selected device, or null
     * @param step        the current step (the one the next technique builds on), or null before it is measured
     * @param constraints the limits, or null while one of them does not parse
     * @param busy        true while a step is being measured
     */
    void show(DeviceProfile device, Step step, Constraints constraints, boolean busy) {
        rows.getChildren().clear();
        deviceFacts.setText(device == null ? "" : facts(device));
        boolean readsOnnx = device == null || device.supportsFormat("onnx") || device.supportsFormat("ort");
        formatWarning.setText(readsOnnx ? "" : "Its runtimes read " + String.join(", ", device.formats())
                + ", not ONNX: the files measured here do not run there as they are.");
        formatWarning.setVisible(!readsOnnx);
        formatWarning.setManaged(!readsOnnx);
        boolean host = device != null && HostInfo.THIS_MACHINE.equals(device.id());
        note.setText(host ? "The selected device is this machine: latency and peak RAM are measured on it."
                : "Latency and peak RAM are measured on this machine, not on the device; size is the file's bytes on disk.");
        if (step == null) {
            setVerdict(null, busy ? "Measuring the original model…" : "No measured step yet.");
            subject.setText(device == null ? "" : device.name());
            return;
        }
        subject.setText((device == null ? "No device chosen" : device.name()) + "\nstep " + step.index() + ": " + step.displayName());
        if (constraints == null) {
            setVerdict(null, "A limit cannot be read; fix it to see the fit.");
            return;
        }
        Metrics m = step.metrics();
        List<FitCheck.ConstraintResult> results = FitCheck.check(constraints, m.fileBytes(), m.peakMemoryBytes(),
                m.latencyMs() == null ? null : m.latencyMs().p50());
        if (results.isEmpty()) {
            setVerdict(null, "No limits set for this device.");
            return;
        }
        FitCheck.Status overall = FitCheck.overall(results);
        setVerdict(overall, switch (overall) {
            case PASS -> "Fits: every limit is met";
            case FAIL -> "Does not fit: " + failed(results);
            case NOT_MEASURED -> "Not all limits were measured";
        });
        for (FitCheck.ConstraintResult r : results) {
            rows.getChildren().add(row(r));
        }
    }

    /** The current step on the selected device, estimated (the Devices tab has the full comparison); null hides it. */
    void showEstimate(dev.edgefit.device.Estimate e) {
        boolean show = e != null && e.latencyMs() != null && !e.measured();
        onDevice.setVisible(show);
        onDevice.setManaged(show);
        if (show) {
            onDevice.setText("On the device: " + e.latencyText() + " with " + e.runtime() + "\npeak RAM est. "
                    + Constraints.formatBytes(e.peakRamBytes()) + (e.energyMj() == null ? "" : " · " + e.energyText()));
            onDevice.setTooltip(new Tooltip(e.basis() + (e.reasons().isEmpty() ? "" : "\n" + String.join("\n", e.reasons()))
                    + "\nEvery device side by side: the Devices tab."));
        }
    }

    private static String failed(List<FitCheck.ConstraintResult> results) {
        List<String> names = new ArrayList<>();
        results.stream().filter(r -> r.status() == FitCheck.Status.FAIL).forEach(r -> names.add(r.name()));
        return String.join(", ", names) + " over the limit";
    }

    private void setVerdict(FitCheck.Status s, String text) {
        verdict.setText(text);
        verdict.getStyleClass().removeIf(c -> c.startsWith("fit-") && !c.equals("fit-verdict"));
        verdict.getStyleClass().add(s == null ? "fit-none" : "fit-" + s.id());
    }

    private static Label row(FitCheck.ConstraintResult r) {
        String mark = switch (r.status()) {
            case PASS -> "✔";
            case FAIL -> "✘";
            case NOT_MEASURED -> "?";
        };
        String margin = Double.isNaN(r.marginPct()) ? ""
                : r.marginPct() > 99 && r.marginPct() < 100 ? "\nover 99% headroom"
                : r.marginPct() >= 0 ? String.format(Locale.ROOT, "\n%.0f%% headroom", Math.floor(r.marginPct()))
                : r.marginPct() <= -100 ? "\n" + r.marginText()
                : String.format(Locale.ROOT, "\n%.0f%% over the limit", -r.marginPct());
        Label l = new Label(mark + " " + r.name() + ": " + r.actual() + " of " + r.limit() + margin);
        l.getStyleClass().addAll("fit", "fit-" + r.status().id());
        l.setWrapText(true);
        l.setMaxWidth(Double.MAX_VALUE);
        if (r.note() != null && !r.note().isEmpty()) {
            l.setTooltip(new Tooltip(r.note()));
        }
        return l;
    }

    private static String facts(DeviceProfile d) {
        StringBuilder b = new StringBuilder();
        b.append(d.resourceClass().id()).append(" resource class · ").append(Constraints.formatBytes(d.ramBytes())).append(" RAM");
        if (d.externalRamBytes() != null) {
            b.append(" + ").append(Constraints.formatBytes(d.externalRamBytes())).append(" external");
        }
        if (d.storageBytes() > 0) {
            b.append(" · ").append(Constraints.formatBytes(d.storageBytes())).append(" storage");
        }
        b.append("\n").append(d.cpu().model() == null ? d.cpu().arch() : d.cpu().model()).append(", ").append(d.cpu().cores())
                .append(d.cpu().cores() == 1 ? " core" : " cores");
        if (d.cpu().clockMhz() != null) {
            b.append(" at ").append(d.cpu().clockMhz()).append(" MHz");
        }
        if (!d.runtimes().isEmpty()) {
            b.append("\nruntimes: ").append(String.join(", ", d.runtimeIds()));
        }
        return b.toString();
    }
}
