package dev.edgefit.pipeline;

import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.compress.Int8Dynamic;
import dev.edgefit.compress.Params;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.EvalConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class ExperimentTest {

    @Test
    void stepsRunInTheBackgroundPublishEventsAndCanBeReverted() throws Exception {
        Path src = TestModels.miniLm();
        byte[] before = Files.readAllBytes(src);
        Path work = TestModels.tempDir("experiment");
        List<PipelineEvent> events = new CopyOnWriteArrayList<>();
        try (Experiment ex = new Experiment(src, null, EvalConfig.defaults().withRuns(1, 3).withFidelitySamples(2), work)) {
            ex.addListener(events::add);
            Step original = ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            assertEquals(0, original.index());
            assertEquals(Files.size(src), original.metrics().fileBytes());
            assertNull(original.metrics().accuracy(), "no labelled data, no accuracy");
            assertTrue(original.metrics().latencyMs().p50() > 0);

            Int8Dynamic t = new Int8Dynamic();
            Step q = ex.run(t, Params.defaults(t)).result().get(2, TimeUnit.MINUTES);
            assertEquals(1, q.index());
            assertEquals(Files.size(q.artifact()), q.metrics().fileBytes(), "size is the bytes of the file written");
            assertTrue(q.artifact().startsWith(work));
            assertTrue(q.metrics().fileBytes() < original.metrics().fileBytes() / 3);
            assertTrue(q.metrics().fidelity().meanCosine() > 0.98, "fidelity against the source: " + q.metrics().fidelity());
            assertSame(q, ex.current());
            assertEquals("sqnrDb", q.decidedBy(), "no labels: the worst output's SQNR decides");
            assertTrue(q.note().startsWith("Kept by sqnrDb: "), q.note());
            assertNull(q.retention(), "no labels, no accuracy retention");

            ex.revert(1);
            assertSame(Step.Status.REVERTED, ex.steps().get(1).status());
            assertEquals(0, ex.current().index(), "after a revert the next step starts from the original");

            // events: started, progress..., metrics, finished for each step, then reverted
            assertInstanceOf(PipelineEvent.StepStarted.class, events.get(0));
            assertTrue(events.stream().anyMatch(e -> e instanceof PipelineEvent.StepProgress p && p.stepIndex() == 1));
            assertEquals(2, events.stream().filter(e -> e instanceof PipelineEvent.StepFinished).count());
            assertInstanceOf(PipelineEvent.StepReverted.class, events.get(events.size() - 1));
        }
        assertArrayEquals(before, Files.readAllBytes(src), "the source model is never written");
    }

    @Test
    void aCancelledStepFailsCleanlyAndLeavesTheCurrentStep() throws Exception {
        Path work = TestModels.tempDir("cancel");
        List<PipelineEvent> events = new CopyOnWriteArrayList<>();
        try (Experiment ex = new Experiment(TestModels.miniLm(), null, EvalConfig.defaults().withRuns(1, 2).withFidelitySamples(1), work)) {
            ex.addListener(events::add);
            ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            Int8Dynamic t = new Int8Dynamic();
            Experiment.Task task = ex.run(t, Params.defaults(t));
            task.cancel();
            ExecutionException e = assertThrows(ExecutionException.class, () -> task.result().get(2, TimeUnit.MINUTES));
            assertEquals(EdgeFitException.Kind.CANCELLED, ((EdgeFitException) e.getCause()).kind());
            assertEquals(0, ex.current().index());
            assertTrue(events.stream().anyMatch(ev -> ev instanceof PipelineEvent.StepFailed f && f.cancelled()));
            try (var files = Files.list(work)) {
                assertEquals(0, files.filter(p -> p.toString().endsWith(".onnx")).count(), "a cancelled step writes no artifact");
            }
        }
    }

    @Test
    void aStepBelowTheThresholdIsRejectedAndCanBeKept() throws Exception {
        Path work = TestModels.tempDir("threshold");
        try (Experiment ex = new Experiment(TestModels.miniLm(), null, EvalConfig.defaults().withRuns(1, 2).withFidelitySamples(2), work)) {
            ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            ex.setAcceptance(Acceptance.parse("sqnrDb>=40", null));   // int8 keeps an SQNR of about 17 dB: below this bar
            Int8Dynamic t = new Int8Dynamic();
            Step s = ex.run(t, Params.defaults(t)).result().get(2, TimeUnit.MINUTES);
            assertSame(Step.Status.REJECTED, s.status());
            assertEquals("sqnrDb", s.decidedBy());
            assertTrue(s.decision().value() < 40 && s.decision().value() > 10, "SQNR " + s.decision().value());
            assertEquals(s.metrics().fidelity().sqnrDb(), s.decision().value());
            assertTrue(s.note().startsWith("Rejected by sqnrDb: SQNR ") && s.note().contains("is below the bar sqnrDb>=40"), s.note());
            assertEquals(0, ex.current().index(), "the next step starts from the original");
            ex.keep(1);
            assertSame(Step.Status.DONE, ex.steps().get(1).status());
            assertEquals(1, ex.current().index());
            assertThrows(EdgeFitException.class, () -> ex.keep(1), "only a rejected step can be kept");
            assertThrows(EdgeFitException.class, () -> ex.setThreshold(1.5));
            ex.setThreshold(0);
            assertSame(Acceptance.NONE, ex.acceptance(), "0 keeps every step");
        }
    }

    /** A refusal names the technique being run and the model file, not the technique of the step it builds on. */
    @Test
    void aRefusalNamesTheTechniqueBeingRunAndTheModel() throws Exception {
        Path work = TestModels.tempDir("naming");
        try (Experiment ex = new Experiment(TestModels.sampleCnn(), null, EvalConfig.defaults().withRuns(1, 2).withFidelitySamples(2), work)) {
            ex.setThreshold(0);
            ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            Int8Dynamic q8 = new Int8Dynamic();
            ex.run(q8, Params.defaults(q8)).result().get(2, TimeUnit.MINUTES);
            dev.edgefit.compress.Int4WeightOnly q4 = new dev.edgefit.compress.Int4WeightOnly();
            ExecutionException e = assertThrows(ExecutionException.class, () -> ex.run(q4, Params.defaults(q4)).result().get(2, TimeUnit.MINUTES));
            String msg = e.getCause().getMessage();
            assertTrue(msg.startsWith("int4 cannot apply to step 1 (int8-dynamic) of fashion_cnn.onnx: already int8: "), msg);
            assertEquals(msg, ex.precheck(q4, 1), "the pre-check says the same before anything runs");
            assertEquals(2, ex.steps().size(), "a refused step adds no step");
        }
    }

    /** Steps form a tree: int8 and int4 both from the original; each step's recipe is its own chain. */
    @Test
    void twoStepsCanBothStartFromTheOriginalAndEachRecipeIsItsChain() throws Exception {
        Path work = TestModels.tempDir("branch");
        try (Experiment ex = new Experiment(TestModels.sampleCnn(), null, EvalConfig.defaults().withRuns(1, 2).withFidelitySamples(2), work)) {
            ex.setThreshold(0);
            ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            Int8Dynamic q8 = new Int8Dynamic();
            dev.edgefit.compress.Int4WeightOnly q4 = new dev.edgefit.compress.Int4WeightOnly();
            dev.edgefit.compress.Fp16 f16 = new dev.edgefit.compress.Fp16();
            Step a = ex.run(q8, Params.defaults(q8)).result().get(2, TimeUnit.MINUTES);
            assertNotNull(ex.precheck(q4, 1), "int4 after int8 is refused before it runs");
            assertNull(ex.precheck(q4, 0), "int4 on the original may run");
            Step b = ex.run(q4, Params.defaults(q4), 0).result().get(2, TimeUnit.MINUTES);
            assertEquals(0, a.parent());
            assertEquals(0, b.parent(), "int4 was applied to the original, not to int8");
            assertEquals(2, ex.current().index());
            Step c = ex.run(f16, Params.defaults(f16), 1).result().get(2, TimeUnit.MINUTES);
            assertEquals(1, c.parent());
            assertNotEquals(Files.size(b.artifact()), Files.size(a.artifact()));

            assertEquals(List.of(0, 1, 3), ex.chain(3).stream().map(Step::index).toList());
            assertEquals(List.of(0, 2), ex.chain(2).stream().map(Step::index).toList());
            Recipe r2 = ex.recipe(2);
            assertEquals(List.of("int4"), r2.steps().stream().map(Recipe.Entry::technique).toList());
            assertEquals(Params.defaults(q4).values(), r2.steps().get(0).params(), "every parameter, defaults included");
            Recipe r3 = ex.recipe(3);
            assertEquals(List.of("int8-dynamic", "fp16"), r3.steps().stream().map(Recipe.Entry::technique).toList());
            assertEquals(List.of(1, 3), r3.steps().stream().map(Recipe.Entry::step).toList());
            assertEquals(ex.sourceSha256(), r3.sourceSha256());
            assertTrue(r3.data().generated());
            assertEquals("none", r3.acceptance());

            ex.revert(3);
            assertEquals(1, ex.current().index(), "after reverting the current step its parent is current");
            ex.revert(1);
            assertEquals(0, ex.current().index());
            ExecutionException none = assertThrows(ExecutionException.class, () -> ex.run(q8, Params.defaults(q8), 9).result().get(2, TimeUnit.MINUTES));
            assertTrue(none.getCause().getMessage().startsWith("There is no step 9 to start from"), none.getCause().getMessage());
        }
    }
}
