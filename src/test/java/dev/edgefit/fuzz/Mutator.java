package dev.edgefit.fuzz;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Makes one hostile model file from a good one: every kind of damage a file from the wild can carry, drawn from a
 * seeded {@link Random}, so that a case number always makes the same file.
 */
final class Mutator {
    enum Kind {
        BYTE_FLIP, TRUNCATE, BAD_LENGTH, INIT_DIMS, INPUT_DIMS, DTYPE, MISSING_INPUT, CYCLE, UNKNOWN_OP, UNKNOWN_DOMAIN,
        OPSET, BAD_RAW_DATA, NO_DATA, NESTED_IF, HUGE_LOOP, EXTERNAL_DATA, NAMES, PREPROCESSING
    }

    private final Random rng;

    Mutator(long seed) {
        this.rng = new Random(seed);
    }

    /** Writes the mutated model (and any side files) into {@code dir}; returns the model file and what was done. */
    record Mutant(Path file, Kind kind, String detail) {
    }

    Mutant mutate(ModelProto base, Kind kind, Path dir) throws IOException {
        Path file = dir.resolve("model.onnx");
        byte[] good = base.toByteArray();
        String detail;
        switch (kind) {
            case BYTE_FLIP -> {
                byte[] b = good.clone();
                int n = 1 + rng.nextInt(8);
                for (int i = 0; i < n; i++) {
                    int at = rng.nextInt(Math.min(b.length, rng.nextBoolean() ? 4096 : b.length));
                    b[at] ^= (byte) (1 << rng.nextInt(8));
                }
                Files.write(file, b);
                return new Mutant(file, kind, n + " bits");
            }
            case TRUNCATE -> {
                int len = rng.nextInt(good.length);
                Files.write(file, Arrays.copyOf(good, len));
                return new Mutant(file, kind, "at " + len);
            }
            case BAD_LENGTH -> {
                // a length-delimited field whose length is a 10-byte varint near 2^63, spliced in at a field boundary
                byte[] b = good.clone();
                int at = 2 + rng.nextInt(Math.min(64, b.length - 12));
                byte[] huge = {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f};
                System.arraycopy(huge, 0, b, at, huge.length);
                Files.write(file, b);
                return new Mutant(file, kind, "at " + at);
            }
            default -> {
            }
        }
        ModelProto.Builder m = base.toBuilder();
        GraphProto.Builder g = m.getGraphBuilder();
        switch (kind) {
            case INIT_DIMS -> {
                TensorProto.Builder t = g.getInitializerBuilder(rng.nextInt(g.getInitializerCount()));
                long[] choices = {1L << 40, -3, 0, t.getDimsCount() > 0 ? t.getDims(0) + 1 : 2, 1L << 33, Long.MAX_VALUE};
                long v = choices[rng.nextInt(choices.length)];
                if (t.getDimsCount() == 0) {
                    t.addDims(v);
                } else {
                    t.setDims(rng.nextInt(t.getDimsCount()), v);
                }
                detail = t.getName() + " dim " + v;
            }
            case INPUT_DIMS -> {
                ValueInfoProto.Builder in = g.getInputBuilder(0);
                TensorShapeProto.Builder s = in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
                long[] choices = {1L << 40, -5, 0, 1L << 62, 3};
                long v = choices[rng.nextInt(choices.length)];
                if (s.getDimCount() == 0) {
                    s.addDimBuilder().setDimValue(v);
                } else {
                    s.getDimBuilder(rng.nextInt(s.getDimCount())).setDimValue(v);
                }
                detail = in.getName() + " dim " + v;
            }
            case DTYPE -> {
                int code = rng.nextInt(26);
                if (rng.nextBoolean() && g.getInitializerCount() > 0) {
                    TensorProto.Builder t = g.getInitializerBuilder(rng.nextInt(g.getInitializerCount()));
                    t.setDataType(code);
                    detail = "initializer " + t.getName() + " type " + code;
                } else {
                    g.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().setElemType(code);
                    detail = "input type " + code;
                }
            }
            case MISSING_INPUT -> {
                if (rng.nextBoolean()) {
                    g.removeInput(0);
                    detail = "graph input removed";
                } else {
                    NodeProto.Builder n = g.getNodeBuilder(withInputs(g));
                    n.setInput(0, "nowhere_" + rng.nextInt(1000));
                    detail = "node " + n.getName() + " reads a missing value";
                }
            }
            case CYCLE -> {
                int a = withInputs(g);
                int b = a + rng.nextInt(g.getNodeCount() - a);
                NodeProto.Builder n = g.getNodeBuilder(a);
                n.setInput(0, g.getNode(b).getOutput(0));
                detail = "node " + a + " reads node " + b;
            }
            case UNKNOWN_OP -> {
                NodeProto.Builder n = g.getNodeBuilder(rng.nextInt(g.getNodeCount()));
                n.setOpType(rng.nextBoolean() ? "FrobnicateV" + rng.nextInt(9) : "");
                detail = "op '" + n.getOpType() + "'";
            }
            case UNKNOWN_DOMAIN -> {
                NodeProto.Builder n = g.getNodeBuilder(rng.nextInt(g.getNodeCount()));
                n.setDomain("com.example.evil");
                if (rng.nextBoolean()) {
                    m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.example.evil").setVersion(1));
                }
                detail = "domain of " + n.getOpType();
            }
            case OPSET -> {
                long[] choices = {0, 99, -1, 1, 1L << 40};
                long v = choices[rng.nextInt(choices.length)];
                m.setOpsetImport(0, m.getOpsetImport(0).toBuilder().setVersion(v));
                detail = "opset " + v;
            }
            case BAD_RAW_DATA -> {
                int i = largestRaw(g);
                TensorProto.Builder t = g.getInitializerBuilder(i);
                ByteString raw = t.getRawData();
                int cut = rng.nextBoolean() ? raw.size() - 1 - rng.nextInt(3) : raw.size() + 1 + rng.nextInt(7);
                t.setRawData(cut <= raw.size() ? raw.substring(0, Math.max(0, cut)) : raw.concat(ByteString.copyFrom(new byte[cut - raw.size()])));
                detail = t.getName() + " raw " + raw.size() + " -> " + cut;
            }
            case NO_DATA -> {
                TensorProto.Builder t = g.getInitializerBuilder(largestRaw(g));
                t.clearRawData().clearFloatData();
                if (rng.nextBoolean()) {
                    t.clearDims().addDims(1L << 33);
                }
                detail = t.getName() + " without data, dims " + t.getDimsList();
            }
            case NESTED_IF -> {
                int depth = rng.nextInt(4) == 0 ? 4096 : 1 + rng.nextInt(200);
                g.addInitializer(TensorProto.newBuilder().setName("fuzz_cond").setDataType(TensorProto.DataType.BOOL_VALUE).addInt32Data(1));
                GraphProto leaf = GraphProto.newBuilder().setName("leaf")
                        .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("fuzz_cond").addOutput("fuzz_leaf"))
                        .addOutput(boolOut("fuzz_leaf")).build();
                GraphProto inner = leaf;
                for (int d = 0; d < depth; d++) {
                    NodeProto iff = NodeProto.newBuilder().setOpType("If").setName("if" + d).addInput("fuzz_cond").addOutput("fuzz_if" + d)
                            .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(inner))
                            .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH).setG(leaf))
                            .build();
                    inner = GraphProto.newBuilder().setName("level" + d).addNode(iff).addOutput(boolOut("fuzz_if" + d)).build();
                }
                g.addAllNode(inner.getNodeList());
                g.addOutput(boolOut("fuzz_if" + (depth - 1)));
                detail = depth + " nested Ifs";
            }
            case HUGE_LOOP -> {
                g.addInitializer(TensorProto.newBuilder().setName("fuzz_trip").setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(1L << 62));
                g.addInitializer(TensorProto.newBuilder().setName("fuzz_true").setDataType(TensorProto.DataType.BOOL_VALUE).addInt32Data(1));
                g.addInitializer(TensorProto.newBuilder().setName("fuzz_acc").setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(0));
                GraphProto body = GraphProto.newBuilder().setName("body")
                        .addInput(ValueInfoProto.newBuilder().setName("i").setType(scalar(TensorProto.DataType.INT64_VALUE)))
                        .addInput(ValueInfoProto.newBuilder().setName("c").setType(scalar(TensorProto.DataType.BOOL_VALUE)))
                        .addInput(ValueInfoProto.newBuilder().setName("a").setType(scalar(TensorProto.DataType.FLOAT_VALUE)))
                        .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("c").addOutput("c_out"))
                        .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("a").addOutput("a_out"))
                        .addOutput(ValueInfoProto.newBuilder().setName("c_out").setType(scalar(TensorProto.DataType.BOOL_VALUE)))
                        .addOutput(ValueInfoProto.newBuilder().setName("a_out").setType(scalar(TensorProto.DataType.FLOAT_VALUE)))
                        .build();
                g.addNode(NodeProto.newBuilder().setOpType("Loop").setName("fuzz_loop").addInput("fuzz_trip").addInput("fuzz_true")
                        .addInput("fuzz_acc").addOutput("fuzz_loop_out")
                        .addAttribute(AttributeProto.newBuilder().setName("body").setType(AttributeProto.AttributeType.GRAPH).setG(body)));
                g.addOutput(ValueInfoProto.newBuilder().setName("fuzz_loop_out").setType(scalar(TensorProto.DataType.FLOAT_VALUE)));
                detail = "Loop of 2^62 iterations";
            }
            case EXTERNAL_DATA -> detail = external(g, dir);
            case NAMES -> {
                String[] names = {"\uD83D\uDE00input", "in\nput", "", "x".repeat(5000), "\u0000nul", "ünïcödé", "a/../../b", "--out"};
                String name = names[rng.nextInt(names.length)];
                String old = g.getInput(0).getName();
                g.getInputBuilder(0).setName(name);
                for (NodeProto.Builder n : g.getNodeBuilderList()) {
                    for (int i = 0; i < n.getInputCount(); i++) {
                        if (n.getInput(i).equals(old)) {
                            n.setInput(i, name);
                        }
                    }
                }
                detail = "input named " + name.codePoints().limit(12).mapToObj(c -> c < 32 ? "\\x" + Integer.toHexString(c) : Character.toString(c))
                        .reduce("", String::concat);
            }
            case PREPROCESSING -> {
                String[] bad = {"{", "[]", "{\"layout\":\"XYZ\"}", "{\"scale\":\"abc\"}", "null", "{\"mean\":[1,2,3,4,5,6,7]}"};
                String v = bad[rng.nextInt(bad.length)];
                m.clearMetadataProps().addMetadataProps(StringStringEntryProto.newBuilder().setKey("edgefit.preprocessing").setValue(v));
                detail = "preprocessing " + v;
            }
            default -> throw new IllegalArgumentException(kind.name());
        }
        ModelProto built = m.build();
        byte[][] box = new byte[1][];
        // protobuf serializes nested messages recursively: 4,096 nested Ifs need a big stack
        Thread t = new Thread(null, () -> box[0] = built.toByteArray(), "fuzz-serialize", 256L << 20);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.write(file, box[0]);
        return new Mutant(file, kind, detail);
    }

    private String external(GraphProto.Builder g, Path dir) throws IOException {
        int i = largestRaw(g);
        TensorProto.Builder t = g.getInitializerBuilder(i);
        ByteString raw = t.getRawData();
        Files.write(dir.resolve("weights.bin"), raw.toByteArray());
        String location = "weights.bin";
        long offset = 0;
        long length = raw.size();
        String what;
        switch (rng.nextInt(11)) {
            case 0 -> { location = "../../../../etc/passwd"; what = "parent path"; }
            case 1 -> { location = "/etc/passwd"; what = "absolute path"; }
            case 2 -> { location = "weights\u0000.bin"; what = "NUL in location"; }
            case 3 -> {
                location = "pipe";
                what = "a FIFO";
                try {
                    new ProcessBuilder("mkfifo", dir.resolve("pipe").toString()).start().waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            case 4 -> { location = "."; what = "the folder"; }
            case 5 -> { offset = -8; what = "negative offset"; }
            case 6 -> { offset = Long.MAX_VALUE; what = "offset 2^63-1"; }
            case 7 -> { length = -2; what = "negative length"; }
            case 8 -> { length = 1L << 40; what = "length 2^40"; }
            case 9 -> { location = "missing.bin"; what = "missing file"; }
            default -> { location = ""; what = "empty location"; }
        }
        t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)));
        return "external data: " + what;
    }

    /** A node that has at least one input (Constants have none). */
    private int withInputs(GraphProto.Builder g) {
        for (int tries = 0; ; tries++) {
            int i = rng.nextInt(g.getNodeCount());
            if (g.getNode(i).getInputCount() > 0 || tries > 1000) {
                return i;
            }
        }
    }

    private static int largestRaw(GraphProto.Builder g) {
        int best = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getRawData().size() > g.getInitializer(best).getRawData().size()) {
                best = i;
            }
        }
        return best;
    }

    private static ValueInfoProto boolOut(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(scalar(TensorProto.DataType.BOOL_VALUE)).build();
    }

    private static TypeProto scalar(int type) {
        return TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type)
                .setShape(TensorShapeProto.newBuilder())).build();
    }

    Random random() {
        return rng;
    }
}
