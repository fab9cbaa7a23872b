package dev.edgefit.ui;

import dev.edgefit.pipeline.PipelineEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.*;

/** Coalescing without a UI: the "FX thread" is a queue the test runs by hand. */
class EventPumpTest {
    private final ConcurrentLinkedQueue<Runnable> fx = new ConcurrentLinkedQueue<>();
    private final List<PipelineEvent.StepProgress> progress = new ArrayList<>();
    private final List<PipelineEvent> events = new ArrayList<>();
    private final EventPump pump = new EventPump(fx::add, progress::add, events::add);

    private void runFx() {
        Runnable r;
        while ((r = fx.poll()) != null) {
            r.run();
        }
    }

    @Test
    void aBurstOfProgressFromAnotherThreadIsOneUpdateWithTheLatestValue() throws Exception {
        Thread worker = new Thread(() -> {
            for (int i = 1; i <= 10_000; i++) {
                pump.post(new PipelineEvent.StepProgress(1, i / 10_000.0, "sample " + i));
            }
        });
        worker.start();
        worker.join();
        assertEquals(1, fx.size(), "one pending UI task for 10,000 events");
        runFx();
        assertEquals(1, progress.size());
        assertEquals("sample 10000", progress.get(0).message());
        assertEquals(1.0, progress.get(0).fraction());
        assertEquals(10_000, pump.posted());
        assertEquals(1, pump.drains());
    }

    @Test
    void otherEventsAreKeptInOrderAndNoneIsLost() {
        pump.post(new PipelineEvent.StepStarted(1, "int8-dynamic", "int8"));
        pump.post(new PipelineEvent.StepProgress(1, 0.5, "half"));
        pump.post(new PipelineEvent.StepFailed(1, "int8-dynamic", "Cancelled.", true));
        assertEquals(1, fx.size());
        runFx();
        assertEquals(List.of("StepStarted", "StepFailed"), events.stream().map(e -> e.getClass().getSimpleName()).toList());
        assertEquals(1, progress.size());

        // after a drain, the next event schedules a new one
        pump.post(new PipelineEvent.StepStarted(2, "fp16", "fp16"));
        assertEquals(1, fx.size());
        runFx();
        assertEquals(3, events.size());
        assertEquals(2, pump.drains());
    }

    @Test
    void anEventPostedWhileDrainingGetsItsOwnDrain() {
        EventPump[] self = new EventPump[1];
        List<PipelineEvent> seen = new ArrayList<>();
        self[0] = new EventPump(fx::add, p -> { }, e -> {
            seen.add(e);
            if (seen.size() == 1) {
                self[0].post(new PipelineEvent.StepStarted(9, "late", "late"));
            }
        });
        self[0].post(new PipelineEvent.StepStarted(1, "first", "first"));
        runFx();
        assertEquals(2, seen.size(), "the event posted during the drain was delivered");
    }
}
