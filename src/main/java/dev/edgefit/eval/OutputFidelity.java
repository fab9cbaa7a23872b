package dev.edgefit.eval;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;

/**
 * How one output of a model follows the same output of a reference model, over every value of every sample compared.
 * <ul>
 * <li>{@code maxAbsDiff}, {@code meanAbsDiff}: the largest and the mean |a - b| over all values.</li>
 * <li>{@code relL2} = ||a - b|| / ||b|| and {@code sqnrDb} = 10 log10(||b||² / ||a - b||²) (infinite when identical), where
 * ||b||² is never taken below the output's noise floor (see {@link Fidelity#FLOOR_EPS}): an output whose reference values
 * are all about zero is judged against that floor rather than against its own tiny energy ({@code nearZero} is then
 * true).</li>
 * <li>{@code cosine}: the mean over samples of the cosine between a sample's whole output tensors; null where it means
 * nothing: one value per sample (a [1,1] probability), or a near-zero output.</li>
 * <li>{@code top1}: the share of rows along the last axis whose argmax agrees; null unless the last axis is longer than
 * 1 (a class axis), and for a near-zero output (the argmax of values about zero is noise).</li>
 * </ul>
 */
public record OutputFidelity(String name, double maxAbsDiff, double meanAbsDiff, @JsonSerialize(using = FiniteOrNull.class) double sqnrDb,
                             @JsonSerialize(using = FiniteOrNull.class) double relL2, Double cosine, Double top1, boolean nearZero) {
}
