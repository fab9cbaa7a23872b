package dev.edgefit.eval;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.runtime.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How closely a model's outputs follow a reference model's on the same inputs, every output compared by name
 * ({@link #outputs}), and a summary in which the worst output decides:
 * <ul>
 * <li>{@code sqnrDb}: the lowest output SQNR (dB), {@code relL2} the largest relative L2 error, {@code worstOutput} the
 * output they come from;</li>
 * <li>{@code top1Agreement}: the lowest top-1 agreement among outputs with a class axis (last axis longer than 1), null if
 * none has one; {@code meanCosine}: the lowest mean cosine among outputs where a cosine means something, null if none;</li>
 * <li>{@code maxAbsDiff}: the largest absolute difference of any output value.</li>
 * </ul>
 * For a classifier with one output these are what they always were: top-1 agreement of the logits, mean cosine of the
 * logit vectors, SQNR and max |diff| of the logits.
 *
 * <p>The noise floor, defined once here: an output's reference energy ||b||² over its n values is never taken below
 * n (ε s)², with ε = {@value #FLOOR_EPS} and s the output's scale, max(max |b|, {@value #UNIT_SCALE}). Network outputs
 * (probabilities, logits, normalised features) live on the order of one, so an output whose reference values all stay near
 * zero (an OCR map where random inputs find no text: values about 1e-5) is compared with differences of a thousandth of
 * one, not with its own vanishing energy; a 1e-6 change then reads about 60 dB, not as a disaster. Outputs with any real
 * signal (RMS above ε s) are unaffected.
 */
public record Fidelity(Double top1Agreement, Double meanCosine, @JsonSerialize(using = FiniteOrNull.class) double sqnrDb, double maxAbsDiff,
                       int samples, @JsonSerialize(using = FiniteOrNull.class) double relL2, String worstOutput, List<OutputFidelity> outputs) {
    /** The noise floor's fraction of an output's scale (see the class comment). */
    public static final double FLOOR_EPS = 1e-3;
    /** The smallest scale an output is given: the order of magnitude network outputs are made to live on. */
    public static final double UNIT_SCALE = 1.0;

    public Fidelity {
        outputs = List.copyOf(outputs);
    }

    /** The output called {@code name}, or null. */
    public OutputFidelity output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst().orElse(null);
    }

    /** Accumulates fidelity over many inferences of a model and its reference. */
    public static final class Accumulator {
        private final Map<String, Out> outs = new LinkedHashMap<>();
        private int samples;

        /**
         * Adds one inference: every output of the reference, paired with the model's output of the same name (or, when the
         * names differ, as in a converted file, with the output at the same position).
         */
        public void add(Map<String, Tensor> model, Map<String, Tensor> reference) {
            List<String> refNames = new ArrayList<>(reference.keySet());
            boolean byName = model.keySet().containsAll(refNames);
            if (!byName && model.size() != reference.size()) {
                throw new EdgeFitException(EdgeFitException.Kind.BAD_PARAMETER, "The outputs cannot be paired for comparison: the model gives "
                        + model.keySet() + ", the reference " + reference.keySet() + ".");
            }
            List<Tensor> modelByPosition = new ArrayList<>(model.values());
            for (int i = 0; i < refNames.size(); i++) {
                String name = refNames.get(i);
                Tensor a = byName ? model.get(name) : modelByPosition.get(i);
                Tensor b = reference.get(name);
                if (a.size() != b.size()) {
                    throw new EdgeFitException(EdgeFitException.Kind.BAD_PARAMETER, "Output '" + name + "' cannot be compared: the model gives "
                            + a + ", the reference " + b + ".");
                }
                out(name).add(a.floats(), b.floats(), b.shape());
            }
            samples++;
        }

        /** Adds one inference of a model with one output, given as flat arrays; rows run along the last axis, rowLength long. */
        public void add(float[] out, float[] ref, int rowLength) {
            if (out.length != ref.length) {
                throw new IllegalArgumentException("output sizes differ: " + out.length + " vs " + ref.length);
            }
            int rl = rowLength <= 0 ? Math.max(1, ref.length) : rowLength;
            out("output").add(out, ref, new long[] {ref.length / rl, rl});
            samples++;
        }

        private Out out(String name) {
            return outs.computeIfAbsent(name, Out::new);
        }

        public Fidelity result() {
            List<OutputFidelity> list = new ArrayList<>();
            for (Out o : outs.values()) {
                list.add(o.result());
            }
            OutputFidelity worst = null;
            Double top1 = null;
            Double cosine = null;
            double maxAbs = 0;
            for (OutputFidelity o : list) {
                if (worst == null || o.sqnrDb() < worst.sqnrDb() || Double.isNaN(o.sqnrDb())) {
                    worst = o;
                }
                if (o.top1() != null) {
                    top1 = top1 == null ? o.top1() : Math.min(top1, o.top1());
                }
                if (o.cosine() != null) {
                    cosine = cosine == null ? o.cosine() : Math.min(cosine, o.cosine());
                }
                maxAbs = Math.max(maxAbs, o.maxAbsDiff());
            }
            return new Fidelity(top1, cosine, worst == null ? Double.POSITIVE_INFINITY : worst.sqnrDb(), maxAbs, samples,
                    worst == null ? 0 : worst.relL2(), worst == null ? null : worst.name(), list);
        }
    }

    /** One output's running sums. */
    private static final class Out {
        private final String name;
        private long n;
        private double signal;
        private double noise;
        private double absSum;
        private double maxAbs;
        private double peak;
        private double cosSum;
        private int cosSamples;
        private boolean oneValue = true;
        private boolean classAxis;
        private long rows;
        private long agree;

        Out(String name) {
            this.name = name;
        }

        void add(float[] a, float[] b, long[] shape) {
            int rl = shape.length == 0 ? 1 : (int) Math.max(1, shape[shape.length - 1]);
            if (b.length % rl != 0) {
                rl = Math.max(1, b.length);
            }
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int i = 0; i < b.length; i++) {
                double x = a[i];
                double y = b[i];
                double d = x - y;
                if (!Double.isFinite(d)) {
                    // a NaN or infinity where the reference has another value is unbounded noise, never a match
                    d = Float.compare(a[i], b[i]) == 0 ? 0 : Double.POSITIVE_INFINITY;
                }
                double ad = Math.abs(d);
                noise += ad * ad;
                absSum += ad;
                maxAbs = Math.max(maxAbs, ad);
                if (Double.isFinite(y)) {
                    signal += y * y;
                    peak = Math.max(peak, Math.abs(y));
                }
                dot += x * y;
                na += x * x;
                nb += y * y;
            }
            n += b.length;
            if (b.length > 1) {
                oneValue = false;
                cosSum += na == 0 && nb == 0 ? 1 : na == 0 || nb == 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
                cosSamples++;
            }
            if (rl > 1) {
                classAxis = true;
                for (int start = 0; start + rl <= b.length; start += rl) {
                    int am = start;
                    int bm = start;
                    for (int i = start + 1; i < start + rl; i++) {
                        if (a[i] > a[am]) {
                            am = i;
                        }
                        if (b[i] > b[bm]) {
                            bm = i;
                        }
                    }
                    if (am == bm) {
                        agree++;
                    }
                    rows++;
                }
            }
        }

        OutputFidelity result() {
            double scale = Math.max(peak, UNIT_SCALE);
            double floor = n * (FLOOR_EPS * scale) * (FLOOR_EPS * scale);
            boolean nearZero = signal < floor;
            double reference = Math.max(signal, floor);
            double relL2 = n == 0 ? 0 : Math.sqrt(noise / reference);
            double sqnr = noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(reference / noise);
            Double cosine = oneValue || nearZero || cosSamples == 0 || Double.isNaN(cosSum) ? null : cosSum / cosSamples;
            Double top1 = classAxis && rows > 0 && !nearZero ? (double) agree / rows : null;
            return new OutputFidelity(name, maxAbs, n == 0 ? 0 : absSum / n, sqnr, relL2, cosine, top1, nearZero);
        }
    }
}
