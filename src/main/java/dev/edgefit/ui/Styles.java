package dev.edgefit.ui;

import javafx.css.PseudoClass;

/** Style names shared by the workbench's views and workbench.css. */
final class Styles {
    /** A field whose text does not parse. */
    static final PseudoClass INVALID = PseudoClass.getPseudoClass("invalid");

    private Styles() {
    }
}
