package dev.edgefit.pipeline;

/** What an experiment publishes, in order, from its worker thread. Listeners must not block. */
public sealed interface PipelineEvent {
    int stepIndex();

    record StepStarted(int stepIndex, String techniqueId, String displayName) implements PipelineEvent {
    }

    record StepProgress(int stepIndex, double fraction, String message) implements PipelineEvent {
    }

    /** The step's artifact was written and measured. */
    record StepMetrics(int stepIndex, Step step) implements PipelineEvent {
    }

    record StepFinished(int stepIndex, Step step) implements PipelineEvent {
    }

    record StepFailed(int stepIndex, String techniqueId, String message, boolean cancelled) implements PipelineEvent {
    }

    record StepReverted(int stepIndex, Step step) implements PipelineEvent {
    }

    /** A rejected step kept by the user. */
    record StepKept(int stepIndex, Step step) implements PipelineEvent {
    }
}
