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
 * Pass or fail of the current step against the selected device's limits, with margins, judged by {@link FitCheck}
 * whenever the step, the device, a limit or the device estimate changes (nothing is run again). For this machine (or
 * no device) latency and peak RAM are the measured figures; for any other device they are the device estimate,
 * labelled "est." with its band, and this machine's measured figures are shown beside them.
 */
final class FitPanel extends VBox {
    final Label verdict = new Label();
    final VBox rows = new VBox(4);
    private final Label subject = new Label();
    private final Label deviceFacts = new Label();
    private final Label formatWarning = new Label();
    private final Label note = new Label();
    final Label onDevice = new Label();
    private DeviceProfile device;
    private Step step;
    private Constraints constraints;
    private boolean busy;
    private dev.edgefit.device.Estimate estimate;
    private boolean estimatePending;

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
        boolean same = device != null && this.device != null && device.id().equals(this.device.id()) && step == this.step;
        this.device = device;
        this.step = step;
        this.constraints = constraints;
        this.busy = busy;
        if (!same || estimate == null) {
            // a new step or device: its estimate is on its way (showEstimate); the same one keeps the estimate it has
            this.estimatePending = !FitCheck.measuredHere(device) && step != null;
            this.estimate = null;
        }
        render();
    }

    /** The current step on the selected device, estimated (the Devices tab has the full comparison); null: none. */
    void showEstimate(dev.edgefit.device.Estimate e) {
        estimatePending = false;
        estimate = e != null && device != null && e.device().equals(device.id()) ? e : null;
        boolean show = estimate != null && estimate.latencyMs() != null && !estimate.measured();
        onDevice.setVisible(show);
        onDevice.setManaged(show);
        if (show) {
            onDevice.setText("On the device: " + estimate.latencyText() + " with " + estimate.runtime() + "\npeak RAM est. "
                    + Constraints.formatBytes(estimate.peakRamBytes()) + (estimate.energyMj() == null ? "" : " · " + estimate.energyText()));
            onDevice.setTooltip(new Tooltip(estimate.basis() + (estimate.reasons().isEmpty() ? "" : "\n" + String.join("\n", estimate.reasons()))
                    + "\nEvery device side by side: the Devices tab."));
        }
        render();
    }

    /** The device estimate the panel judges by, or null (none, pending, or a device measured here). */
    dev.edgefit.device.Estimate estimate() {
        return estimate;
    }

    private void render() {
        rows.getChildren().clear();
        deviceFacts.setText(device == null ? "" : facts(device));
        boolean readsOnnx = device == null || device.supportsFormat("onnx") || device.supportsFormat("ort");
        formatWarning.setText(readsOnnx ? "" : "Its runtimes read " + String.join(", ", device.formats())
                + ", not ONNX: the files measured here do not run there as they are.");
        formatWarning.setVisible(!readsOnnx);
        formatWarning.setManaged(!readsOnnx);
        boolean host = device != null && HostInfo.THIS_MACHINE.equals(device.id());
        note.setText(host ? "The selected device is this machine: latency and peak RAM are measured on it."
                : device == null ? "Latency and peak RAM are measured on this machine; size is the file's bytes on disk."
                : "Latency and peak RAM are the device estimate (est., with the calibration's band); this machine's measured"
                + " figures are shown beside them; size is the file's bytes on disk.");
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
        if (estimatePending) {
            setVerdict(null, "Estimating the step on " + device.name() + "…");
            return;
        }
        Metrics m = step.metrics();
        FitCheck.Measured here = new FitCheck.Measured(m.fileBytes(), m.peakMemoryBytes(), m.latencyMs() == null ? null : m.latencyMs().p50());
        List<FitCheck.ConstraintResult> results = FitCheck.check(constraints, device, here, estimate, null);
        if (results.isEmpty()) {
            setVerdict(null, "No limits set for this device.");
            return;
        }
        FitCheck.Status overall = FitCheck.overall(results);
        setVerdict(overall, switch (overall) {
            case PASS -> "Fits: every limit is met";
            case FAIL -> "Does not fit: " + failed(results);
            case NOT_MEASURED -> "Not all limits were measured";
            case UNKNOWN -> "Unknown: the latency estimate cannot tell (no calibration for this runtime)";
        });
        for (FitCheck.ConstraintResult r : results) {
            rows.getChildren().add(row(r));
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
            case NOT_MEASURED, UNKNOWN -> "?";
        };
        String margin = Double.isNaN(r.marginPct()) ? ""
                : r.marginPct() > 99 && r.marginPct() < 100 ? "\nover 99% headroom"
                : r.marginPct() >= 0 ? String.format(Locale.ROOT, "\n%.0f%% headroom", Math.floor(r.marginPct()))
                : r.marginPct() <= -100 ? "\n" + r.marginText()
                : String.format(Locale.ROOT, "\n%.0f%% over the limit", -r.marginPct());
        Label l = new Label(mark + " " + r.name() + ": " + r.actual() + " of " + r.limit() + margin
                + (r.thisMachine() == null ? "" : "\n" + r.thisMachineText()));
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
