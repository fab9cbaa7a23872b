package dev.edgefit.ui;

import dev.edgefit.pipeline.PipelineEvent;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Carries pipeline events from worker threads to the FX thread, coalesced. Progress events only keep the latest
 * one (an {@link AtomicReference}); every other event is queued in order. However many events arrive, at most one
 * drain is waiting on the FX thread at any time: the first event after a drain schedules the next one, later
 * events ride along with it. A burst of ten thousand progress updates costs one label and one bar update.
 */
final class EventPump {
    private final Executor fxThread;
    private final Consumer<PipelineEvent.StepProgress> onProgress;
    private final Consumer<PipelineEvent> onEvent;
    private final AtomicReference<PipelineEvent.StepProgress> latestProgress = new AtomicReference<>();
    private final ConcurrentLinkedQueue<PipelineEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong posted = new AtomicLong();
    private final AtomicLong drains = new AtomicLong();

    /**
     * @param fxThread   runs a task on the UI thread ({@code Platform::runLater} in the application)
     * @param onProgress applies the latest progress, on the UI thread
     * @param onEvent    applies any other event, on the UI thread, in the order they were posted
     */
    EventPump(Executor fxThread, Consumer<PipelineEvent.StepProgress> onProgress, Consumer<PipelineEvent> onEvent) {
        this.fxThread = fxThread;
        this.onProgress = onProgress;
        this.onEvent = onEvent;
    }

    /** Any thread. Never blocks, never runs UI code itself. */
    void post(PipelineEvent e) {
        posted.incrementAndGet();
        if (e instanceof PipelineEvent.StepProgress p) {
            latestProgress.set(p);
        } else {
            queue.add(e);
        }
        if (scheduled.compareAndSet(false, true)) {
            fxThread.execute(this::drain);
        }
    }

    /** On the UI thread: the latest progress first, then the other events in order. */
    void drain() {
        // cleared before reading, so an event posted while draining schedules its own drain and is never lost
        scheduled.set(false);
        drains.incrementAndGet();
        PipelineEvent.StepProgress p = latestProgress.getAndSet(null);
        if (p != null) {
            onProgress.accept(p);
        }
        PipelineEvent e;
        while ((e = queue.poll()) != null) {
            onEvent.accept(e);
        }
    }

    /** Events posted so far. */
    long posted() {
        return posted.get();
    }

    /** Drains run so far (at most one per batch of events). */
    long drains() {
        return drains.get();
    }
}
