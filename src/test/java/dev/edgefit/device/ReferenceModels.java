package dev.edgefit.device;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Tensors;
import dev.edgefit.model.ValueInfos;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * ONNX graphs of the reference models behind the published latencies (../shared/calibration), with the
 * architecture of each published model and untrained weights (zeros): only the work they ask for matters.
 * Batch normalisation is left out because every runtime folds it into the convolution before it runs.
 */
public final class ReferenceModels {
    private ReferenceModels() {
    }

    /**
     * The same architecture with seeded random weights (He-normal for convolution and fully connected weights, small
     * biases), so that its outputs mean something: what a converter test compares across runtimes.
     */
    public static ModelSnapshot withRandomWeights(ModelSnapshot m, long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        ai.onnx.proto.OnnxMl.GraphProto.Builder g = m.proto().getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            ai.onnx.proto.OnnxMl.TensorProto t = g.getInitializer(i);
            long[] dims = dev.edgefit.model.Tensors.dims(t);
            if (dims.length == 0 || dev.edgefit.model.Tensors.dtype(t) != DType.FLOAT) {
                continue; // Clip bounds and the like stay
            }
            long fanIn = 1;
            for (int d = 1; d < dims.length; d++) {
                fanIn *= dims[d];
            }
            double std = dims.length == 1 ? 0.05 : Math.sqrt(2.0 / fanIn);
            float[] v = new float[(int) dev.edgefit.model.Tensors.elementCount(t)];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) (rnd.nextGaussian() * std);
            }
            g.setInitializer(i, dev.edgefit.model.Tensors.floats(t.getName(), dims, v));
        }
        return m.derive(m.proto().toBuilder().setGraph(g).build(), m.label() + " (random weights)");
    }

    /** id -> (description, builder). */
    public static Map<String, Map.Entry<String, Supplier<ModelSnapshot>>> all() {
        Map<String, Map.Entry<String, Supplier<ModelSnapshot>>> m = new LinkedHashMap<>();
        m.put("mlperf-tiny-ic", Map.entry("MLPerf Tiny image classification: ResNet-8 (3 residual stacks of 16/32/64 filters), CIFAR-10 32x32x3", ReferenceModels::resnet8));
        m.put("mlperf-tiny-kws", Map.entry("MLPerf Tiny keyword spotting: DS-CNN small (64 filters, 4 depthwise-separable blocks), 49x10x1 MFCC", ReferenceModels::dsCnn));
        m.put("esp-person-detection", Map.entry("TFLM person detection: MobileNet v1 0.25, 96x96x1, 2 classes", () -> mobilenetV1(0.25, 96, 1, 2)));
        m.put("mobilenet_v1", Map.entry("MobileNet v1 1.0, 224x224x3, 1000 classes", () -> mobilenetV1(1.0, 224, 3, 1000)));
        m.put("mobilenet_v2", Map.entry("MobileNet v2 1.0, 224x224x3, 1000 classes", ReferenceModels::mobilenetV2));
        m.put("resnet18", Map.entry("ResNet-18, 224x224x3, 1000 classes", () -> resnet(new int[] {2, 2, 2, 2}, false)));
        m.put("resnet50", Map.entry("ResNet-50, 224x224x3, 1000 classes", () -> resnet(new int[] {3, 4, 6, 3}, true)));
        return m;
    }

    /** A small NCHW network builder that tracks the current tensor's channels and spatial size. */
    static final class Net {
        final GraphProto.Builder g = GraphProto.newBuilder().setName("reference");
        String cur = "input";
        int c;
        int h;
        int w;
        private int n;

        Net(int c, int h, int w) {
            this.c = c;
            this.h = h;
            this.w = w;
            g.addInput(ValueInfos.of("input", DType.FLOAT, new long[] {1, c, h, w}, List.of()));
        }

        private String name(String op) {
            return op.toLowerCase() + "_" + (++n);
        }

        private void weight(String name, long... dims) {
            long count = 1;
            for (long d : dims) {
                count *= d;
            }
            g.addInitializer(Tensors.raw(name, DType.FLOAT, dims, new byte[(int) (count * 4)]));
        }

        /** Convolution with TensorFlow's SAME padding (or VALID), bias, then ReLU/ReLU6 or nothing. */
        Net conv(int out, int kh, int kw, int stride, int group, String act) {
            String nm = name("conv");
            weight(nm + "_w", out, c / group, kh, kw);
            weight(nm + "_b", out);
            int oh = (h + stride - 1) / stride;
            int ow = (w + stride - 1) / stride;
            int ph = Math.max((oh - 1) * stride + kh - h, 0);
            int pw = Math.max((ow - 1) * stride + kw - w, 0);
            g.addNode(NodeProto.newBuilder().setOpType("Conv").setName(nm).addInput(cur).addInput(nm + "_w").addInput(nm + "_b").addOutput(nm)
                    .addAttribute(ints("kernel_shape", kh, kw)).addAttribute(ints("strides", stride, stride))
                    .addAttribute(ints("pads", ph / 2, pw / 2, ph - ph / 2, pw - pw / 2)).addAttribute(intAttr("group", group)));
            cur = nm;
            c = out;
            h = oh;
            w = ow;
            return act(act);
        }

        Net act(String act) {
            if (act == null) {
                return this;
            }
            String nm = name(act);
            NodeProto.Builder b = NodeProto.newBuilder().setName(nm).addInput(cur).addOutput(nm);
            if (act.equals("relu6")) {
                b.setOpType("Clip").addInput(nm + "_min").addInput(nm + "_max");
                g.addInitializer(Tensors.floats(nm + "_min", new long[] {}, new float[] {0}));
                g.addInitializer(Tensors.floats(nm + "_max", new long[] {}, new float[] {6}));
            } else {
                b.setOpType("Relu");
            }
            g.addNode(b);
            cur = nm;
            return this;
        }

        Net add(String other, String act) {
            String nm = name("add");
            g.addNode(NodeProto.newBuilder().setOpType("Add").setName(nm).addInput(cur).addInput(other).addOutput(nm));
            cur = nm;
            return act(act);
        }

        Net maxPool(int k, int stride) {
            String nm = name("maxpool");
            int oh = (h + stride - 1) / stride;
            int ow = (w + stride - 1) / stride;
            int ph = Math.max((oh - 1) * stride + k - h, 0);
            int pw = Math.max((ow - 1) * stride + k - w, 0);
            g.addNode(NodeProto.newBuilder().setOpType("MaxPool").setName(nm).addInput(cur).addOutput(nm)
                    .addAttribute(ints("kernel_shape", k, k)).addAttribute(ints("strides", stride, stride))
                    .addAttribute(ints("pads", ph / 2, pw / 2, ph - ph / 2, pw - pw / 2)));
            cur = nm;
            h = oh;
            w = ow;
            return this;
        }

        /** Global average pooling, flatten, fully connected, softmax. */
        ModelSnapshot head(int classes) {
            String gap = name("gap");
            g.addNode(NodeProto.newBuilder().setOpType("GlobalAveragePool").setName(gap).addInput(cur).addOutput(gap));
            String fl = name("flatten");
            g.addNode(NodeProto.newBuilder().setOpType("Flatten").setName(fl).addInput(gap).addOutput(fl));
            String fc = name("fc");
            weight(fc + "_w", classes, c);
            weight(fc + "_b", classes);
            g.addNode(NodeProto.newBuilder().setOpType("Gemm").setName(fc).addInput(fl).addInput(fc + "_w").addInput(fc + "_b").addOutput(fc)
                    .addAttribute(intAttr("transB", 1)));
            g.addNode(NodeProto.newBuilder().setOpType("Softmax").setName("softmax").addInput(fc).addOutput("output"));
            g.addOutput(ValueInfos.of("output", DType.FLOAT, new long[] {1, classes}, List.of()));
            return new ModelSnapshot(ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                    .setGraph(g).build(), null, "reference");
        }
    }

    static ModelSnapshot resnet8() {
        Net n = new Net(3, 32, 32).conv(16, 3, 3, 1, 1, "relu");
        int[] filters = {16, 32, 64};
        for (int s = 0; s < 3; s++) {
            int stride = s == 0 ? 1 : 2;
            String in = n.cur;
            int inC = n.c;
            int inH = n.h;
            int inW = n.w;
            n.conv(filters[s], 3, 3, stride, 1, "relu").conv(filters[s], 3, 3, 1, 1, null);
            String main = n.cur;
            String shortcut = in;
            if (stride != 1) {
                // 1x1 projection of the stack's input
                n.cur = in;
                n.c = inC;
                n.h = inH;
                n.w = inW;
                n.conv(filters[s], 1, 1, stride, 1, null);
                shortcut = n.cur;
                n.cur = main;
            }
            n.add(shortcut, "relu");
        }
        return n.head(10);
    }

    static ModelSnapshot dsCnn() {
        Net n = new Net(1, 49, 10).conv(64, 10, 4, 2, 1, "relu");
        for (int i = 0; i < 4; i++) {
            n.conv(64, 3, 3, 1, 64, "relu").conv(64, 1, 1, 1, 1, "relu");
        }
        return n.head(12);
    }

    static ModelSnapshot mobilenetV1(double alpha, int size, int channels, int classes) {
        Net n = new Net(channels, size, size).conv((int) (32 * alpha), 3, 3, 2, 1, "relu6");
        int[][] blocks = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
                {1024, 2}, {1024, 1}};
        for (int[] b : blocks) {
            n.conv(n.c, 3, 3, b[1], n.c, "relu6").conv((int) (b[0] * alpha), 1, 1, 1, 1, "relu6");
        }
        return n.head(classes);
    }

    static ModelSnapshot mobilenetV2() {
        Net n = new Net(3, 224, 224).conv(32, 3, 3, 2, 1, "relu6");
        int[][] settings = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        for (int[] s : settings) {
            for (int i = 0; i < s[2]; i++) {
                int stride = i == 0 ? s[3] : 1;
                String in = n.cur;
                int inC = n.c;
                if (s[0] != 1) {
                    n.conv(inC * s[0], 1, 1, 1, 1, "relu6");
                }
                n.conv(n.c, 3, 3, stride, n.c, "relu6").conv(s[1], 1, 1, 1, 1, null);
                if (stride == 1 && inC == s[1]) {
                    n.add(in, null);
                }
            }
        }
        n.conv(1280, 1, 1, 1, 1, "relu6");
        return n.head(1000);
    }

    static ModelSnapshot resnet(int[] blocks, boolean bottleneck) {
        Net n = new Net(3, 224, 224).conv(64, 7, 7, 2, 1, "relu").maxPool(3, 2);
        int[] widths = {64, 128, 256, 512};
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < blocks[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                int out = bottleneck ? widths[s] * 4 : widths[s];
                String in = n.cur;
                int inC = n.c;
                int inH = n.h;
                int inW = n.w;
                if (bottleneck) {
                    n.conv(widths[s], 1, 1, 1, 1, "relu").conv(widths[s], 3, 3, stride, 1, "relu").conv(out, 1, 1, 1, 1, null);
                } else {
                    n.conv(widths[s], 3, 3, stride, 1, "relu").conv(out, 3, 3, 1, 1, null);
                }
                String shortcut = in;
                if (stride != 1 || inC != out) {
                    String main = n.cur;
                    int mc = n.c;
                    int mh = n.h;
                    int mw = n.w;
                    n.cur = in;
                    n.c = inC;
                    n.h = inH;
                    n.w = inW;
                    n.conv(out, 1, 1, stride, 1, null);
                    shortcut = n.cur;
                    n.cur = main;
                    n.c = mc;
                    n.h = mh;
                    n.w = mw;
                }
                n.add(shortcut, "relu");
            }
        }
        return n.head(1000);
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }
}
