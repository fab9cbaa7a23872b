package dev.edgefit.common;

/**
 * Progress and cancellation for long work. Implementations must be cheap and thread-safe: work calls
 * {@link #update} often, and listeners (the GUI) coalesce updates themselves.
 */
public interface Progress {
    Progress NONE = new Progress() {
        @Override
        public void update(double fraction, String message) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }
    };

    /** fraction in [0, 1], or negative when unknown. */
    void update(double fraction, String message);

    boolean isCancelled();

    /** Throws {@link EdgeFitException} of kind CANCELLED if the user cancelled. */
    default void checkCancelled() {
        if (isCancelled()) {
            throw EdgeFitException.cancelled();
        }
    }

    /** A view of this progress mapped onto [from, to] of the parent's range. */
    default Progress slice(double from, double to) {
        Progress parent = this;
        return new Progress() {
            @Override
            public void update(double fraction, String message) {
                parent.update(fraction < 0 ? fraction : from + (to - from) * Math.max(0, Math.min(1, fraction)), message);
            }

            @Override
            public boolean isCancelled() {
                return parent.isCancelled();
            }
        };
    }
}
