package dev.edgefit.pipeline;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.data.Dataset;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A source model, its data, and an ordered list of steps. Steps run one at a time on a background thread;
 * each one applies a technique to the current snapshot, writes the artifact into the work folder, measures
 * that file (accuracy or fidelity against the source, latency, size) and publishes events. The source file is
 * never written. Steps form a tree: each is applied to an earlier measured step (by default the current one), so two
 * techniques can both start from the original; {@link Step#parent()} records which, and {@link #chain} gives a step's
 * ancestors (its recipe, {@link Recipe#of}). A step can be reverted: the current step then goes back to its nearest
 * kept ancestor.
 * <p>
 * The acceptance rule ({@link Acceptance}, default {@code accuracy>=0.95,sqnrDb>=10}): with labelled data a step is
 * judged by its accuracy over the original's (the seed article keeps a technique only if accuracy retention stays at or
 * above 0.95); without labels by the SQNR of its worst output against the original's outputs (every output compared,
 * near-zero outputs against a noise floor). A step that fails is marked REJECTED with the reason, and the next step
 * starts from the previous snapshot; the user can keep it anyway. The step's note says which metric decided.
 */
public final class Experiment implements AutoCloseable {
    private final Path sourceFile;
    private final ModelSnapshot source;
    private final Dataset data;
    private final EvalConfig evalConfig;
    private final Path workDir;
    private volatile Acceptance acceptance = Acceptance.forSteps();
    private final List<Step> steps = new CopyOnWriteArrayList<>();
    /** The step the next one builds on by default; -1 before step 0 is measured. */
    private volatile int currentIndex = -1;
    private final List<Consumer<PipelineEvent>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "edgefit-pipeline");
        t.setDaemon(true);
        return t;
    });

    public Experiment(Path sourceFile, Dataset data, EvalConfig evalConfig, Path workDir) {
        this.sourceFile = sourceFile.toAbsolutePath();
        this.source = OnnxModels.load(sourceFile);
        this.data = data;
        this.evalConfig = evalConfig.withData(data);
        this.workDir = workDir;
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw EdgeFitException.io(workDir, "could not be created (" + e.getMessage() + ").", e);
        }
    }

    public Path sourceFile() {
        return sourceFile;
    }

    private volatile String sourceSha256;

    /** The SHA-256 of the source file (hex), computed once. */
    public String sourceSha256() {
        String h = sourceSha256;
        if (h == null) {
            h = dev.edgefit.export.ExportService.sha256(sourceFile);
            sourceSha256 = h;
        }
        return h;
    }

    /** The recipe of step {@code index}: the chain of techniques from the original, with data, rule and source hash. */
    public Recipe recipe(int index) {
        return Recipe.of(this, index);
    }

    public ModelSnapshot source() {
        return source;
    }

    /** What the user fixed about generated inputs (shapes, values). */
    public dev.edgefit.data.InputOverrides inputs() {
        return evalConfig.inputs();
    }

    public Dataset data() {
        return data;
    }

    public Path workDir() {
        return workDir;
    }

    /**
     * Minimum accuracy retention for a step to be kept automatically, with the default SQNR bar without labels
     * ({@code accuracy>=t,sqnrDb>=10}); 0 keeps every step.
     */
    public void setThreshold(double t) {
        if (t < 0 || t > 1 || Double.isNaN(t)) {
            throw EdgeFitException.badParameter("The acceptance threshold must be between 0 and 1, not " + t + ".");
        }
        acceptance = Acceptance.forSteps(t);
    }

    /** The rule that decides whether a step is kept (applies to steps run after this call). */
    public void setAcceptance(Acceptance a) {
        acceptance = a == null ? Acceptance.forSteps() : a;
    }

    public Acceptance acceptance() {
        return acceptance;
    }

    public List<Step> steps() {
        return List.copyOf(steps);
    }

    public void addListener(Consumer<PipelineEvent> l) {
        listeners.add(l);
    }

    public void removeListener(Consumer<PipelineEvent> l) {
        listeners.remove(l);
    }

    /**
     * The step the next one builds on by default: the latest kept step, or after a rejected step its kept parent, after a
     * revert the reverted step's nearest kept ancestor (step 0, the original, once measured); null before that.
     */
    public Step current() {
        int i = currentIndex;
        return i < 0 || i >= steps.size() ? null : steps.get(i);
    }

    /** The steps from the original to {@code index}, following each step's parent: what built that step. */
    public List<Step> chain(int index) {
        List<Step> all = steps();
        if (index < 0 || index >= all.size()) {
            throw EdgeFitException.badParameter("There is no step " + index + "; the steps are 0 to " + (all.size() - 1) + ".");
        }
        List<Step> out = new ArrayList<>();
        for (int i = index; i >= 0; i = all.get(i).parent()) {
            out.add(0, all.get(i));
        }
        return out;
    }

    /**
     * Why {@code technique} cannot apply to step {@code baseIndex} (-1: the current step), in one sentence naming both, or null
     * when it may. A cheap look at the step's model ({@link Technique#notApplicable}); the technique may still refuse
     * when it runs.
     */
    public String precheck(Technique technique, int baseIndex) {
        Step base;
        try {
            base = base(baseIndex);
        } catch (EdgeFitException e) {
            return e.getMessage();
        }
        if (base == null) {
            return "Measure the original model before applying a technique.";
        }
        String why = technique.notApplicable(base.snapshot());
        return why == null ? null : technique.id() + " cannot apply to step " + base.index() + " (" + base.techniqueId() + ") of "
                + sourceFile.getFileName() + ": " + why + ".";
    }

    /** The step a new one builds on: {@code baseIndex}, or the current step when it is negative. */
    private Step base(int baseIndex) {
        if (baseIndex < 0) {
            return current();
        }
        List<Step> all = steps();
        if (baseIndex >= all.size()) {
            throw EdgeFitException.badParameter("There is no step " + baseIndex + " to start from; the steps are 0 to " + (all.size() - 1) + ".");
        }
        Step b = all.get(baseIndex);
        if (!b.isMeasured()) {
            throw EdgeFitException.badParameter("Step " + baseIndex + " (" + b.techniqueId() + ") " + b.status().name().toLowerCase(java.util.Locale.ROOT)
                    + " and has no model to start from.");
        }
        return b;
    }

    /** The nearest kept step among {@code index} and its ancestors (step 0 at worst). */
    private int keptAncestorOrSelf(int index) {
        List<Step> all = steps();
        int i = index;
        while (i > 0 && !all.get(i).isActive()) {
            i = all.get(i).parent();
        }
        return Math.max(i, 0);
    }

    /** Measures the source model as step 0. */
    public Task measureOriginal() {
        return submit(null, null, -1);
    }

    /** Applies a technique to the current snapshot as a new step. */
    public Task run(Technique technique, Params params) {
        return submit(technique, params, -1);
    }

    /**
     * Applies a technique to step {@code baseIndex} (any measured step: kept, rejected or reverted; -1 for the current step
     * when the step starts) as a new step whose parent is that step.
     */
    public Task run(Technique technique, Params params, int baseIndex) {
        return submit(technique, params, baseIndex);
    }

    /**
     * Marks a step reverted; later steps stay as they are (they were built on it and keep their numbers). When it was the
     * current step, its nearest kept ancestor becomes current.
     */
    public void revert(int index) {
        Step s = steps.get(index);
        if (index == 0) {
            throw EdgeFitException.badParameter("The original model cannot be reverted.");
        }
        if (s.status() == Step.Status.DONE || s.status() == Step.Status.REJECTED) {
            Step r = s.withStatus(Step.Status.REVERTED, "Reverted by the user.");
            steps.set(index, r);
            if (currentIndex == index) {
                currentIndex = keptAncestorOrSelf(index);
            }
            publish(new PipelineEvent.StepReverted(index, r));
        }
    }

    /** Keeps a rejected step against the acceptance rule: the next step builds on it. */
    public void keep(int index) {
        Step s = steps.get(index);
        if (s.status() != Step.Status.REJECTED) {
            throw EdgeFitException.badParameter("Step " + index + " was not rejected; only a rejected step can be kept.");
        }
        Step k = s.withStatus(Step.Status.DONE, "Kept by the user against the acceptance rule: " + s.note());
        steps.set(index, k);
        currentIndex = index;
        publish(new PipelineEvent.StepKept(index, k));
    }

    /** A running step: its result, and a way to cancel it. */
    public static final class Task {
        private final CompletableFuture<Step> result;
        private final AtomicBoolean cancelled;

        Task(CompletableFuture<Step> result, AtomicBoolean cancelled) {
            this.result = result;
            this.cancelled = cancelled;
        }

        public CompletableFuture<Step> result() {
            return result;
        }

        public void cancel() {
            cancelled.set(true);
        }
    }

    private Task submit(Technique technique, Params params, int baseIndex) {
        AtomicBoolean cancelled = new AtomicBoolean();
        CompletableFuture<Step> f = new CompletableFuture<>();
        worker.submit(() -> {
            try {
                f.complete(execute(technique, params, baseIndex, cancelled));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return new Task(f, cancelled);
    }

    private Step execute(Technique technique, Params params, int baseIndex, AtomicBoolean cancelled) {
        int index = steps.size();
        String id = technique == null ? Step.ORIGINAL : technique.id();
        String display = technique == null ? "Original model" : technique.displayName();
        Map<String, Object> values = params == null ? Map.of() : params.values();
        Step base;
        try {
            base = technique == null ? null : base(baseIndex);
            if (technique != null && base == null) {
                throw EdgeFitException.badParameter("Measure the original model before applying a technique.");
            }
            String why = technique == null ? null : precheck(technique, base.index());
            if (why != null) {
                throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, why);
            }
        } catch (RuntimeException e) {
            publish(new PipelineEvent.StepFailed(index, id, EdgeFitException.describe(e), false));
            throw e;
        }
        publish(new PipelineEvent.StepStarted(index, id, display));
        Progress progress = new Progress() {
            @Override
            public void update(double fraction, String message) {
                publish(new PipelineEvent.StepProgress(index, fraction, message));
            }

            @Override
            public boolean isCancelled() {
                return cancelled.get();
            }
        };
        try {
            long t0 = System.nanoTime();
            ModelSnapshot snap;
            Path artifact;
            TechniqueContext tctx = new TechniqueContext(progress.slice(0, 0.3), data).withInputs(evalConfig.inputs());
            if (technique == null) {
                snap = source;
                artifact = sourceFile;
            } else {
                snap = applyNamed(technique, base, params, tctx);
                artifact = workDir.resolve(String.format("step-%02d-%s.onnx", index, id));
                OnnxModels.save(snap, artifact);
            }
            long applyMs = (System.nanoTime() - t0) / 1_000_000;
            progress.checkCancelled();
            EvalConfig cfg = technique == null ? evalConfig : evalConfig.withReference(sourceFile);
            Metrics m;
            try {
                m = Evaluator.evaluate(artifact, cfg, progress.slice(technique == null ? 0 : 0.3, 1.0));
            } catch (EdgeFitException e) {
                if (technique == null || e.kind() == EdgeFitException.Kind.CANCELLED) {
                    throw e;
                }
                throw new EdgeFitException(e.kind(), technique.id() + " wrote a model that could not be measured: " + e.getMessage(), e);
            }
            Double retention = technique == null ? Double.valueOf(1.0) : retention(steps.get(0).metrics(), m);
            Step.Status status = Step.Status.DONE;
            String note = null;
            Acceptance.Decision decision = null;
            if (technique != null) {
                decision = acceptance.judge(m.accuracy(), steps.get(0).metrics().accuracy(), m.fidelity());
                if (decision.passed()) {
                    note = decision.decidedBy() == null ? decision.text() : "Kept by " + decision.decidedBy() + ": " + decision.text();
                } else {
                    status = Step.Status.REJECTED;
                    int next = currentIndex == base.index() && !base.isActive() ? keptAncestorOrSelf(base.index()) : currentIndex;
                    note = String.format(java.util.Locale.ROOT, "Rejected by %s: %s The next step starts from step %d.", decision.decidedBy(),
                            decision.text(), next);
                }
            }
            Step step = new Step(index, base == null ? -1 : base.index(), id, display, values, status, snap, artifact, m, null, applyMs, retention, note,
                    Map.copyOf(tctx.details()), decision);
            steps.add(step);
            if (status == Step.Status.DONE) {
                currentIndex = index;
            } else if (base != null && currentIndex == base.index() && !base.isActive()) {
                currentIndex = keptAncestorOrSelf(base.index());
            }
            publish(new PipelineEvent.StepMetrics(index, step));
            publish(new PipelineEvent.StepFinished(index, step));
            return step;
        } catch (RuntimeException e) {
            boolean wasCancelled = e instanceof EdgeFitException ee && ee.kind() == EdgeFitException.Kind.CANCELLED;
            publish(new PipelineEvent.StepFailed(index, id, EdgeFitException.describe(e), wasCancelled));
            throw e;
        }
    }

    /**
     * Applies a technique to the step it builds on, labelled with the model's file (and that step), so that a technique's
     * refusal names the model and the technique being run rather than the technique of the step before.
     */
    private ModelSnapshot applyNamed(Technique technique, Step base, Params params, TechniqueContext tctx) {
        String label = sourceFile.getFileName() + (base.index() == 0 ? "" : " after step " + base.index() + " (" + base.techniqueId() + ")");
        ModelSnapshot from = base.snapshot().derive(base.snapshot().proto(), label);
        try {
            return technique.apply(from, params, tctx);
        } catch (EdgeFitException e) {
            if (e.kind() == EdgeFitException.Kind.CANCELLED) {
                throw e;
            }
            String msg = e.getMessage() == null ? "" : e.getMessage();
            String named = msg.startsWith(label + ": ") ? technique.id() + " on " + label + ": " + msg.substring(label.length() + 2)
                    : technique.id() + ": " + msg;
            throw new EdgeFitException(e.kind(), named, e);
        }
    }

    /** Accuracy over the original's when both are measured; null otherwise. */
    static Double retention(Metrics original, Metrics m) {
        if (original.accuracy() != null && m.accuracy() != null && original.accuracy() > 0) {
            return m.accuracy() / original.accuracy();
        }
        return null;
    }

    private void publish(PipelineEvent e) {
        for (Consumer<PipelineEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ignored) {
                // a listener's failure must not stop the pipeline
            }
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }

    /** Steps that are kept (done and not reverted), in order. */
    public List<Step> activeSteps() {
        List<Step> out = new ArrayList<>();
        for (Step s : steps) {
            if (s.isActive()) {
                out.add(s);
            }
        }
        return out;
    }
}
