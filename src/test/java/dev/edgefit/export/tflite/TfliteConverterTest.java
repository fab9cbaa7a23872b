package dev.edgefit.export.tflite;

import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.GraphBuilder;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.export.tflite.TfliteSchema.Op;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import dev.edgefit.runtime.TfliteRunner;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.edgefit.export.tflite.OpGraph.f;
import static dev.edgefit.export.tflite.OpGraph.floats;
import static dev.edgefit.export.tflite.OpGraph.i;
import static dev.edgefit.export.tflite.OpGraph.ints;
import static dev.edgefit.export.tflite.OpGraph.s;
import static dev.edgefit.export.tflite.OpGraph.weights;
import static org.junit.jupiter.api.Assertions.*;

/**
 * One small graph per supported ONNX operator (and per layout case that needs its own handling), converted to TFLite
 * and run in TensorFlow Lite against ONNX Runtime on the same inputs: float within 1e-4, full-integer int8 close in
 * cosine; each graph must also produce the TFLite operator it is about.
 */
class TfliteConverterTest {
    static final long[] IMG = {1, 4, 8, 8};

    record Case(String name, int opset, long[] in, Consumer<GraphBuilder> body, Op expect, double int8Cosine) {
        Case(String name, long[] in, Consumer<GraphBuilder> body, Op expect, double int8Cosine) {
            this(name, 13, in, body, expect, int8Cosine);
        }
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("Conv 3x3 pads 1 (SAME)", IMG, g -> g.add("Conv", null, "conv", List.of("x", weights(g, "w", 0.3f, 6, 4, 3, 3), weights(g, "b", 0.1f, 6)),
                List.of("y"), ints("pads", 1, 1, 1, 1)), Op.CONV_2D, 0.99));
        c.add(new Case("Conv stride 2, uneven pads (explicit PAD), dilation", IMG, g -> g.add("Conv", null, "conv",
                List.of("x", weights(g, "w", 0.3f, 5, 4, 3, 3)), List.of("y"), ints("pads", 0, 1, 2, 1), ints("strides", 2, 2), ints("dilations", 1, 2)),
                Op.PAD, 0.99));
        c.add(new Case("Conv depthwise with multiplier 2", IMG, g -> g.add("Conv", null, "dw", List.of("x", weights(g, "w", 0.3f, 8, 1, 3, 3), weights(g, "b", 0.1f, 8)),
                List.of("y"), ints("pads", 1, 1, 1, 1), i("group", 4)), Op.DEPTHWISE_CONV_2D, 0.99));
        c.add(new Case("Conv grouped (2 groups)", IMG, g -> g.add("Conv", null, "gconv", List.of("x", weights(g, "w", 0.3f, 6, 2, 1, 1), weights(g, "b", 0.1f, 6)),
                List.of("y"), i("group", 2)), Op.SPLIT, 0.99));
        c.add(new Case("Conv + BatchNormalization (folded) + Relu (fused)", IMG, g -> {
            g.add("Conv", null, "conv", List.of("x", weights(g, "w", 0.3f, 6, 4, 3, 3)), List.of("c"), ints("pads", 1, 1, 1, 1));
            g.add("BatchNormalization", null, "bn", List.of("c", floats(g, "g", new long[] {6}, 1, 2, 0.5f, 1, 1.5f, 0.8f), weights(g, "beta", 0.2f, 6),
                    weights(g, "mean", 0.2f, 6), floats(g, "var", new long[] {6}, 1, 0.5f, 2, 1, 0.7f, 1.2f)), List.of("bnout"));
            g.add("Relu", null, "relu", List.of("bnout"), List.of("y"));
        }, Op.CONV_2D, 0.99));
        c.add(new Case("Gemm transB=1 with bias", new long[] {1, 16}, g -> g.add("Gemm", null, "fc",
                List.of("x", weights(g, "w", 0.3f, 10, 16), weights(g, "b", 0.1f, 10)), List.of("y"), i("transB", 1)), Op.FULLY_CONNECTED, 0.99));
        c.add(new Case("Gemm transB=0, alpha and beta", new long[] {1, 16}, g -> g.add("Gemm", null, "fc",
                List.of("x", weights(g, "w", 0.3f, 16, 10), weights(g, "b", 0.1f, 10)), List.of("y"), f("alpha", 0.5f), f("beta", 2f)), Op.FULLY_CONNECTED, 0.99));
        c.add(new Case("Flatten of NHWC, then Gemm (weights permuted)", IMG, g -> {
            g.add("Conv", null, "conv", List.of("x", weights(g, "w", 0.3f, 3, 4, 3, 3)), List.of("c"), ints("pads", 1, 1, 1, 1));
            g.add("Flatten", null, "flat", List.of("c"), List.of("f"));
            g.add("Gemm", null, "fc", List.of("f", weights(g, "w2", 0.1f, 10, 192), weights(g, "b2", 0.1f, 10)), List.of("y"), i("transB", 1));
        }, Op.FULLY_CONNECTED, 0.99));
        c.add(new Case("Flatten of NHWC as the output (data transposed)", IMG, g -> {
            g.add("Conv", null, "conv", List.of("x", weights(g, "w", 0.3f, 3, 4, 3, 3)), List.of("c"), ints("pads", 1, 1, 1, 1));
            g.add("Flatten", null, "flat", List.of("c"), List.of("y"));
        }, Op.TRANSPOSE, 0.99));
        c.add(new Case("MatMul with constant weights on a 3-D input (+ Add bias)", new long[] {1, 5, 12}, g -> {
            g.add("MatMul", null, "mm", List.of("x", weights(g, "w", 0.3f, 12, 7)), List.of("m"));
            g.add("Add", null, "bias", List.of("m", weights(g, "b", 0.1f, 7)), List.of("y"));
        }, Op.FULLY_CONNECTED, 0.99));
        c.add(new Case("MatMul of two activations (BATCH_MATMUL)", new long[] {1, 5, 6}, g -> {
            g.add("Transpose", null, "t", List.of("x"), List.of("xt"), ints("perm", 0, 2, 1));
            g.add("MatMul", null, "mm", List.of("x", "xt"), List.of("y"));
        }, Op.BATCH_MATMUL, 0.99));
        c.add(new Case("Add: NCHW tensor + [C,1,1] constant, broadcast", IMG, g -> g.add("Add", null, "add",
                List.of("x", weights(g, "c", 1f, 4, 1, 1)), List.of("y")), Op.ADD, 0.99));
        c.add(new Case("Sub: scalar minus tensor", IMG, g -> g.add("Sub", null, "sub", List.of(floats(g, "c", new long[0], 0.5f), "x"), List.of("y")), Op.SUB, 0.99));
        c.add(new Case("Mul of a tensor and its global average (two NHWC values, broadcast)", IMG, g -> {
            g.add("GlobalAveragePool", null, "gap", List.of("x"), List.of("m"));
            g.add("Sigmoid", null, "sig", List.of("m"), List.of("s"));
            g.add("Mul", null, "mul", List.of("x", "s"), List.of("y"));
        }, Op.MUL, 0.99));
        c.add(new Case("Div by a constant (becomes MUL)", IMG, g -> g.add("Div", null, "div", List.of("x", floats(g, "c", new long[] {1}, 4f)), List.of("y")), Op.MUL, 0.99));
        c.add(new Case("Div of two tensors", new long[] {1, 4, 8}, g -> {
            g.add("Sigmoid", null, "sig", List.of("x"), List.of("s"));
            g.add("Add", null, "one", List.of("s", floats(g, "c", new long[0], 1f)), List.of("d"));
            g.add("Div", null, "div", List.of("x", "d"), List.of("y"));
        }, Op.DIV, 0.99));
        c.add(new Case("Relu", IMG, g -> g.add("Relu", null, "r", List.of("x"), List.of("y")), Op.RELU, 0.99));
        c.add(new Case("Clip 0..6 (RELU6)", IMG, g -> g.add("Clip", null, "clip", List.of("x", floats(g, "lo", new long[0], 0f), floats(g, "hi", new long[0], 6f)),
                List.of("y")), Op.RELU6, 0.99));
        c.add(new Case("Clip -0.5..0.7 (MAXIMUM, MINIMUM)", IMG, g -> g.add("Clip", null, "clip",
                List.of("x", floats(g, "lo", new long[0], -0.5f), floats(g, "hi", new long[0], 0.7f)), List.of("y")), Op.MINIMUM, 0.99));
        c.add(new Case("Sigmoid", IMG, g -> g.add("Sigmoid", null, "s", List.of("x"), List.of("y")), Op.LOGISTIC, 0.99));
        c.add(new Case("Tanh", IMG, g -> g.add("Tanh", null, "t", List.of("x"), List.of("y")), Op.TANH, 0.99));
        c.add(new Case("LeakyRelu", IMG, g -> g.add("LeakyRelu", null, "l", List.of("x"), List.of("y"), f("alpha", 0.2f)), Op.LEAKY_RELU, 0.99));
        c.add(new Case("HardSwish", 14, IMG, g -> g.add("HardSwish", null, "h", List.of("x"), List.of("y")), Op.HARD_SWISH, 0.99));
        c.add(new Case("MaxPool 3x3 stride 2 pads 1", IMG, g -> g.add("MaxPool", null, "p", List.of("x"), List.of("y"),
                ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)), Op.MAX_POOL_2D, 0.99));
        c.add(new Case("MaxPool 2x2 ceil_mode on odd size (SAME)", new long[] {1, 3, 7, 7}, g -> g.add("MaxPool", null, "p", List.of("x"), List.of("y"),
                ints("kernel_shape", 2, 2), ints("strides", 2, 2), i("ceil_mode", 1)), Op.MAX_POOL_2D, 0.99));
        c.add(new Case("MaxPool with pads at the start only (explicit PADV2)", new long[] {1, 3, 7, 7}, g -> g.add("MaxPool", null, "p", List.of("x"),
                List.of("y"), ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 0, 0)), Op.PADV2, 0.99));
        c.add(new Case("AveragePool 2x2 stride 2", IMG, g -> g.add("AveragePool", null, "p", List.of("x"), List.of("y"),
                ints("kernel_shape", 2, 2), ints("strides", 2, 2)), Op.AVERAGE_POOL_2D, 0.99));
        c.add(new Case("AveragePool 3x3 pads 1, padding not counted (SAME)", IMG, g -> g.add("AveragePool", null, "p", List.of("x"), List.of("y"),
                ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)), Op.AVERAGE_POOL_2D, 0.99));
        c.add(new Case("GlobalAveragePool, Flatten", IMG, g -> {
            g.add("GlobalAveragePool", null, "p", List.of("x"), List.of("p0"));
            g.add("Flatten", null, "f", List.of("p0"), List.of("y"));
        }, Op.MEAN, 0.99));
        c.add(new Case("GlobalMaxPool", IMG, g -> g.add("GlobalMaxPool", null, "p", List.of("x"), List.of("y")), Op.MAX_POOL_2D, 0.99));
        c.add(new Case("BatchNormalization on its own", IMG, g -> g.add("BatchNormalization", null, "bn", List.of("x",
                floats(g, "g", new long[] {4}, 1, 2, 0.5f, 1), weights(g, "beta", 0.2f, 4), weights(g, "mean", 0.2f, 4),
                floats(g, "var", new long[] {4}, 1, 0.5f, 2, 1)), List.of("y")), Op.MUL, 0.99));
        c.add(new Case("Reshape of NHWC to 3-D", IMG, g -> {
            g.add("Relu", null, "r", List.of("x"), List.of("r0"));
            g.add("Reshape", null, "rs", List.of("r0", ints(g, "shape", 1, 4, 64)), List.of("y"));
        }, Op.RESHAPE, 0.99));
        c.add(new Case("Transpose NCHW to NHWC then Reshape (no data moved twice)", IMG, g -> {
            g.add("Transpose", null, "t", List.of("x"), List.of("t0"), ints("perm", 0, 2, 3, 1));
            g.add("Reshape", null, "rs", List.of("t0", ints(g, "shape", 1, 64, 4)), List.of("y"));
        }, Op.RESHAPE, 0.99));
        c.add(new Case("Transpose as output", IMG, g -> g.add("Transpose", null, "t", List.of("x"), List.of("y"), ints("perm", 0, 3, 1, 2)), Op.TRANSPOSE, 0.99));
        c.add(new Case("Squeeze after global pooling (axes remapped)", IMG, g -> {
            g.add("GlobalAveragePool", null, "p", List.of("x"), List.of("p0"));
            g.add("Squeeze", null, "sq", List.of("p0", ints(g, "axes", 2, 3)), List.of("y"));
        }, Op.SQUEEZE, 0.99));
        c.add(new Case("Unsqueeze then Conv", new long[] {1, 4, 8}, g -> {
            g.add("Unsqueeze", null, "u", List.of("x", ints(g, "axes", 2)), List.of("u0"));
            g.add("Conv", null, "conv", List.of("u0", weights(g, "w", 0.3f, 3, 4, 1, 3)), List.of("y"), ints("pads", 0, 1, 0, 1));
        }, Op.CONV_2D, 0.99));
        c.add(new Case("Concat of channels", IMG, g -> {
            g.add("Relu", null, "r", List.of("x"), List.of("a"));
            g.add("Sigmoid", null, "s", List.of("x"), List.of("b"));
            g.add("Concat", null, "cat", List.of("a", "b", "x"), List.of("y"), i("axis", 1));
        }, Op.CONCATENATION, 0.99));
        c.add(new Case("Concat along height with a constant", IMG, g -> g.add("Concat", null, "cat", List.of("x", weights(g, "k", 1f, 1, 4, 2, 8)),
                List.of("y"), i("axis", 2)), Op.CONCATENATION, 0.99));
        c.add(new Case("Pad with zeros", IMG, g -> g.add("Pad", null, "pad", List.of("x", ints(g, "pads", 0, 0, 1, 2, 0, 0, 3, 0)), List.of("y")), Op.PAD, 0.99));
        c.add(new Case("Pad with a value", IMG, g -> g.add("Pad", null, "pad", List.of("x", ints(g, "pads", 0, 1, 1, 0, 0, 0, 0, 2),
                floats(g, "v", new long[0], 0.75f)), List.of("y")), Op.PADV2, 0.99));
        c.add(new Case("Softmax over the last axis", new long[] {1, 10}, g -> g.add("Softmax", null, "sm", List.of("x"), List.of("y")), Op.SOFTMAX, 0.99));
        c.add(new Case("Softmax over channels of an image", IMG, g -> g.add("Softmax", null, "sm", List.of("x"), List.of("y"), i("axis", 1)), Op.SOFTMAX, 0.99));
        // 256 probabilities near 1/256 each: int8 outputs (scale 1/256) keep only their coarse shape
        c.add(new Case("Softmax at opset 11 over C x H x W at once (upgraded to 13)", 11, IMG, g -> g.add("Softmax", null, "sm", List.of("x"),
                List.of("y"), i("axis", 1)), Op.SOFTMAX, 0.9));
        c.add(new Case("Upsample at opset 9 (upgraded to a Resize)", 9, IMG, g -> g.add("Upsample", null, "up", List.of("x",
                floats(g, "scales", new long[] {4}, 1, 1, 2, 2)), List.of("y"), s("mode", "nearest")), Op.RESIZE_NEAREST_NEIGHBOR, 0.99));
        c.add(new Case("Resize nearest x2 (asymmetric, floor)", IMG, g -> g.add("Resize", null, "up", List.of("x", "",
                floats(g, "scales", new long[] {4}, 1, 1, 2, 2)), List.of("y"), s("mode", "nearest"),
                s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor")), Op.RESIZE_NEAREST_NEIGHBOR, 0.99));
        c.add(new Case("Resize bilinear x2 (half_pixel)", IMG, g -> g.add("Resize", null, "up", List.of("x", "",
                floats(g, "scales", new long[] {4}, 1, 1, 2, 2)), List.of("y"), s("mode", "linear")), Op.RESIZE_BILINEAR, 0.99));
        c.add(new Case("ConvTranspose 2x2 stride 2 (VALID) with bias", IMG, g -> g.add("ConvTranspose", null, "up",
                List.of("x", weights(g, "w", 0.3f, 4, 6, 2, 2), weights(g, "b", 0.1f, 6)), List.of("y"), ints("strides", 2, 2)), Op.TRANSPOSE_CONV, 0.99));
        c.add(new Case("ConvTranspose 3x3 stride 2, output twice the input (SAME)", IMG, g -> g.add("ConvTranspose", null, "up",
                List.of("x", weights(g, "w", 0.3f, 4, 5, 3, 3)), List.of("y"), ints("strides", 2, 2), ints("pads", 0, 0, 1, 1)),
                Op.TRANSPOSE_CONV, 0.99));
        c.add(new Case("Slice of channels and rows of an NHWC tensor (SLICE)", IMG, g -> {
            g.add("Relu", null, "r", List.of("x"), List.of("r0"));
            g.add("Slice", null, "sl", List.of("r0", ints(g, "starts", 1, 2), ints(g, "ends", 3, -1), ints(g, "axes", 1, 2)), List.of("y"));
        }, Op.SLICE, 0.99));
        c.add(new Case("Slice with step 2 (STRIDED_SLICE)", IMG, g -> g.add("Slice", null, "sl", List.of("x", ints(g, "starts", 0, 1),
                ints(g, "ends", 8, 100), ints(g, "axes", 3, 1), ints(g, "steps", 2, 1)), List.of("y")), Op.STRIDED_SLICE, 0.99));
        c.add(new Case("Slice with attributes (opset 9)", 9, IMG, g -> g.add("Slice", null, "sl", List.of("x"), List.of("y"),
                ints("starts", 0, 4), ints("ends", 2, 8), ints("axes", 1, 3)), Op.SLICE, 0.99));
        c.add(new Case("Peaks: Equal of a map and its MaxPool, Cast to float, Mul (CenterNet-style)", IMG, g -> {
            g.add("Sigmoid", null, "sig", List.of("x"), List.of("s"));
            g.add("MaxPool", null, "pool", List.of("s"), List.of("p"), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1));
            g.add("Equal", null, "eq", List.of("s", "p"), List.of("e"));
            g.add("Cast", null, "cast", List.of("e"), List.of("ef"), i("to", 1));
            g.add("Mul", null, "keep", List.of("s", "ef"), List.of("y"));
        }, Op.EQUAL, 0.99));
        c.add(new Case("HardSigmoid", 9, IMG, g -> g.add("HardSigmoid", null, "hs", List.of("x"), List.of("y"), f("alpha", 0.2f), f("beta", 0.5f)),
                Op.ADD, 0.99));
        c.add(new Case("Layer normalisation: ReduceMean, Pow 2, Sqrt, Div", new long[] {1, 5, 8}, g -> {
            g.add("ReduceMean", null, "mean", List.of("x"), List.of("m"), ints("axes", -1));
            g.add("Sub", null, "sub", List.of("x", "m"), List.of("d"));
            g.add("Pow", null, "pow", List.of("d", floats(g, "two", new long[0], 2f)), List.of("d2"));
            g.add("ReduceMean", null, "var", List.of("d2"), List.of("v"), ints("axes", -1));
            g.add("Add", null, "eps", List.of("v", floats(g, "e", new long[0], 1e-5f)), List.of("ve"));
            g.add("Sqrt", null, "sqrt", List.of("ve"), List.of("sd"));
            g.add("Div", null, "div", List.of("d", "sd"), List.of("y"));
        }, Op.SQRT, 0.99));
        c.add(new Case("ReduceMean over channels without keepdims", IMG, g -> {
            g.add("Relu", null, "r", List.of("x"), List.of("r0"));
            g.add("ReduceMean", null, "mean", List.of("r0"), List.of("y"), ints("axes", 1), i("keepdims", 0));
        }, Op.MEAN, 0.99));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> everySupportedOperatorMatchesOnnxRuntime() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    static void check(Case c) throws Exception {
        check(c.name(), OpGraph.of(c.name(), c.opset(), c.in(), c.body()), c.expect(), c.int8Cosine());
    }

    /** Converts to fp32 and full-integer int8, runs both against ORT; returns the int8 model's fidelity. */
    static Fidelity check(String name, ModelSnapshot m, Op expect, double int8Cosine) throws Exception {
        InputGenerator gen = new InputGenerator(m, Map.of());
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int s = 0; s < 16; s++) {
            inputs.add(gen.generate(100 + s));
        }
        Path dir = TestModels.tempDir("tflite-op");
        TfliteConverter.Result fp = TfliteConverter.convert(m, TfliteConverter.Options.of(TflitePrecision.FP32), Progress.NONE);
        assertTrue(fp.operators().contains(expect), name + ": expected " + expect + " among " + fp.operators());
        Fidelity f = compare(m, fp, dir.resolve("fp32.tflite"), inputs);
        assertTrue(f.maxAbsDiff() < 1e-4, name + " fp32: " + f);

        TfliteConverter.Result q = TfliteConverter.convert(m, new TfliteConverter.Options(TflitePrecision.INT8, false, inputs), Progress.NONE);
        Fidelity fq = compare(m, q, dir.resolve("int8.tflite"), inputs);
        assertTrue(fq.meanCosine() > int8Cosine, name + " int8: " + fq);
        return fq;
    }

    static Fidelity compare(ModelSnapshot m, TfliteConverter.Result r, Path file, List<Map<String, Tensor>> inputs) throws Exception {
        Files.write(file, r.bytes());
        try (TfliteRunner t = new TfliteRunner(file, r.inputPerms(), 1); OrtRunner o = OrtRunner.inMemory(m, RunnerOptions.DEFAULT)) {
            return Evaluator.compare(t, o, inputs, Progress.NONE);
        }
    }

    /**
     * Whole published architectures (the estimator's reference models: ResNet-8 and DS-CNN of MLPerf Tiny, the TFLM
     * person detector's MobileNet v1 0.25, MobileNet v2) with seeded random weights: residual adds, depthwise
     * stacks, ReLU6, global pooling and the classifier head together. Float within 1e-4 of ORT; full-integer int8
     * within 0.001 in cosine on the small ones.
     */
    @TestFactory
    Stream<DynamicTest> publishedArchitecturesMatchOnnxRuntime() {
        Map<String, Op> signature = Map.of("mlperf-tiny-ic", Op.ADD, "mlperf-tiny-kws", Op.DEPTHWISE_CONV_2D, "esp-person-detection", Op.DEPTHWISE_CONV_2D);
        return signature.keySet().stream().sorted().map(id -> DynamicTest.dynamicTest(id, () -> check(id, reference(id), signature.get(id), 0.999)));
    }

    /**
     * MobileNet v2 with random weights and no batch normalisation quantizes poorly in int8 whoever does it (its
     * activations' ranges vary wildly from layer to layer): the peer is ONNX Runtime running EdgeFit's own int8-static
     * QDQ model of it. The TFLite full-integer model must be about as close to the float model as that peer.
     */
    @Test
    void mobileNetV2Int8IsAsCloseAsTheQdqPeer() throws Exception {
        ModelSnapshot m = reference("mobilenet_v2");
        Fidelity tflite = check("mobilenet_v2", m, Op.ADD, 0.9);
        dev.edgefit.compress.Technique t = dev.edgefit.compress.TechniqueRegistry.get("int8-static");
        ModelSnapshot qdq = t.apply(m, dev.edgefit.compress.Params.parse(t, Map.of("samples", "16")),
                dev.edgefit.compress.TechniqueContext.of(Progress.NONE));
        InputGenerator gen = new InputGenerator(m, Map.of());
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int s = 0; s < 16; s++) {
            inputs.add(gen.generate(100 + s));
        }
        Fidelity peer;
        try (OrtRunner a = OrtRunner.inMemory(qdq, RunnerOptions.DEFAULT); OrtRunner o = OrtRunner.inMemory(m, RunnerOptions.DEFAULT)) {
            peer = Evaluator.compare(a, o, inputs, Progress.NONE);
        }
        assertTrue(tflite.meanCosine() >= peer.meanCosine() - 0.005, "TFLite int8 " + tflite + " against ORT QDQ " + peer);
    }

    private static ModelSnapshot reference(String id) {
        return dev.edgefit.device.ReferenceModels.withRandomWeights(dev.edgefit.device.ReferenceModels.all().get(id).getValue().get(), 7);
    }

    @Test
    void unsupportedOperatorsAreListedByNameAndTypeWithTheAlternative() {
        ModelSnapshot m = OpGraph.of("unsupported", new long[] {1, 4, 8}, g -> {
            g.add("Erf", null, "gelu_erf", List.of("x"), List.of("e"));
            g.add("Relu", null, "relu", List.of("e"), List.of("r"));
            g.add("ReduceMax", null, "rmax", List.of("r"), List.of("y"));
        });
        EdgeFitException e = assertThrows(EdgeFitException.class,
                () -> TfliteConverter.convert(m, TfliteConverter.Options.of(TflitePrecision.FP32), Progress.NONE));
        assertEquals(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, e.kind());
        String msg = e.getMessage();
        assertTrue(msg.contains("2 nodes"), msg);
        assertTrue(msg.contains("'gelu_erf' (Erf)") && msg.contains("'rmax' (ReduceMax)"), msg);
        assertFalse(msg.contains("'relu'"), msg);
        assertTrue(msg.contains("ONNX or ORT format"), msg);
        assertFalse(msg.contains("\n"), "one sentence");
        assertEquals(List.of("'gelu_erf' (Erf)", "'rmax' (ReduceMax)"), TfliteConverter.unsupportedNodes(m));
    }

    @Test
    void aTransformerGetsItsUnsupportedOperatorTypesCountedFirst() {
        ModelSnapshot m = dev.edgefit.model.OnnxModels.load(TestModels.miniLm());
        EdgeFitException e = assertThrows(EdgeFitException.class,
                () -> TfliteConverter.convert(m, TfliteConverter.Options.of(TflitePrecision.FP32), Progress.NONE));
        String msg = e.getMessage();
        assertTrue(msg.contains("does not support 9 nodes of this model (Erf 6, Gather 2, Cast 1): '/Cast' (Cast: a cast to float of a value other than"), msg);
        assertTrue(msg.contains("(Erf); export it as ONNX or ORT format"), msg);
        assertEquals(java.util.Set.of("onnx", "ort", "tensorrt"), dev.edgefit.export.ExportFormat.writtenFor(m),
                "what device estimates may choose among for this model");
        assertEquals(java.util.Set.of("onnx", "ort", "tflite", "tflite-micro", "tensorrt"),
                dev.edgefit.export.ExportFormat.writtenFor(dev.edgefit.model.OnnxModels.load(TestModels.sampleCnn())));
    }

    @Test
    void shapeArithmeticFoldsToConstants() throws Exception {
        // the Shape -> Gather -> Concat -> Reshape chain that exporters write for flatten
        ModelSnapshot m = OpGraph.of("shape-chain", IMG, g -> {
            g.add("Shape", null, "shape", List.of("x"), List.of("s"));
            g.add("Gather", null, "batch", List.of("s", g.addInitializer(dev.edgefit.model.Tensors.int64("zero", new long[0], new long[] {0}))), List.of("n"),
                    GraphBuilder.intAttr("axis", 0));
            g.add("Unsqueeze", null, "n1", List.of("n", ints(g, "axes", 0)), List.of("n1"));
            g.add("Concat", null, "target", List.of("n1", ints(g, "minus1", -1)), List.of("t"), i("axis", 0));
            g.add("Reshape", null, "flat", List.of("x", "t"), List.of("f"));
            g.add("Gemm", null, "fc", List.of("f", weights(g, "w", 0.1f, 10, 256)), List.of("y"), i("transB", 1));
        });
        check("shape chain", m, Op.FULLY_CONNECTED, 0.99);
        assertFalse(TfliteConverter.convert(m, TfliteConverter.Options.of(TflitePrecision.FP32), Progress.NONE).operators().contains(Op.TRANSPOSE),
                "the batch size is folded and the Gemm absorbs the NHWC order");
    }
}
