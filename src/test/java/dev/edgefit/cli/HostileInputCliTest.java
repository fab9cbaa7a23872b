package dev.edgefit.cli;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.TestModels;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.RunTimeout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** Files built to hurt: devices and pipes as outputs, hostile external data, overflowing sizes, deep nesting, endless loops. */
class HostileInputCliTest {
    static Path dir;
    static ModelProto cnn;

    @BeforeAll
    static void files() throws Exception {
        dir = TestModels.tempDir("hostile");
        cnn = OnnxModels.load(TestModels.sampleCnn()).proto();
    }

    static Path fifo(Path at) throws Exception {
        assertEquals(0, new ProcessBuilder("mkfifo", at.toString()).start().waitFor(), "mkfifo");
        return at;
    }

    static Path write(String name, ModelProto m) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path f = d.resolve("model.onnx");
        Files.write(f, bytes(m));
        return f;
    }

    /** Serialized on a thread with a 256 MiB stack: protobuf serializes nested messages recursively. */
    static byte[] bytes(ModelProto m) throws Exception {
        byte[][] box = new byte[1][];
        Thread t = new Thread(null, () -> box[0] = m.toByteArray(), "serialize", 256L << 20);
        t.start();
        t.join();
        return box[0];
    }

    /** The sample with its largest weight moved to external data described by {@code location}, {@code offset}, {@code length}. */
    static Path external(String name, String location, String offset, String length) throws Exception {
        ModelProto.Builder m = cnn.toBuilder();
        GraphProto.Builder g = m.getGraphBuilder();
        int big = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getRawData().size() > g.getInitializer(big).getRawData().size()) {
                big = i;
            }
        }
        Path d = Files.createDirectories(dir.resolve(name));
        Files.write(d.resolve("weights.bin"), g.getInitializer(big).getRawData().toByteArray());
        TensorProto.Builder t = g.getInitializerBuilder(big).clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        if (offset != null) {
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(offset));
        }
        if (length != null) {
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(length));
        }
        Path f = d.resolve("model.onnx");
        Files.write(f, m.build().toByteArray());
        return f;
    }

    @Test
    void outputsThatAreDevicesPipesOrFoldersAreRefused() throws Exception {
        Path pipe = fifo(dir.resolve("out.pipe"));
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--out", pipe, "--runs", "1", "--json")
                .assertError(EdgeFitCli.USAGE, "out.pipe", "not a regular file");
        assertFalse(Files.isRegularFile(pipe), "the pipe is still a pipe");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--out", "/dev/null", "--json")
                .assertError(EdgeFitCli.USAGE, "/dev/null", "not a regular file");
        assertFalse(Files.isRegularFile(Path.of("/dev/null")), "/dev/null is still a device");
        run("export", TestModels.sampleCnn(), "--format", "onnx", "--out", "/dev/null", "--json")
                .assertError(EdgeFitCli.USAGE, "/dev/null", "not a folder");
        run("report", TestModels.sampleCnn(), "--out", pipe, "--json").assertError(EdgeFitCli.USAGE, "not a folder");
    }

    @Test
    void externalDataThatIsAPipeIsRefusedWithoutBlocking() throws Exception {
        Path m = external("ext-fifo", "pipe", "0", null);
        fifo(m.resolveSibling("pipe"));
        CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run("inspect", m, "--json"));
        r.assertError(EdgeFitCli.BAD_MODEL, "model.onnx", "not a regular file");
    }

    @Test
    void badExternalDataNumbersAndNamesAreOneSentence() throws Exception {
        run("inspect", external("ext-neg-off", "weights.bin", "-8", null), "--json").assertError(EdgeFitCli.BAD_MODEL, "negative external-data offset");
        run("inspect", external("ext-neg-len", "weights.bin", "0", "-2"), "--json").assertError(EdgeFitCli.BAD_MODEL, "negative external-data length");
        run("inspect", external("ext-big-off", "weights.bin", Long.toString(Long.MAX_VALUE), null), "--json")
                .assertError(EdgeFitCli.BAD_MODEL, "holds only");
        run("inspect", external("ext-2p63", "weights.bin", "9223372036854775808", null), "--json")
                .assertError(EdgeFitCli.BAD_MODEL, "bad external-data number");
        run("inspect", external("ext-big-len", "weights.bin", "0", Long.toString(1L << 40)), "--json").assertError(EdgeFitCli.BAD_MODEL, "holds only");
        run("inspect", external("ext-nul", "weights\u0000.bin", "0", null), "--json").assertError(EdgeFitCli.BAD_MODEL, "characters no path can hold");
        run("inspect", external("ext-dir", ".", "0", null), "--json").assertError(EdgeFitCli.BAD_MODEL, "not a regular file");
    }

    @Test
    void overflowingDimensionsAndMissingDataAreNamed() throws Exception {
        ModelProto.Builder huge = cnn.toBuilder();
        huge.getGraphBuilder().getInitializerBuilder(0).clearDims().addDims(1L << 40).addDims(1L << 40);
        run("inspect", write("dims-2p40", huge.build()), "--json").assertError(EdgeFitCli.BAD_MODEL, "more elements than any file can hold");

        ModelProto.Builder empty = cnn.toBuilder();
        TensorProto.Builder t = empty.getGraphBuilder().getInitializerBuilder(0);
        String name = t.getName();
        t.clearRawData().clearFloatData().clearDims().addDims(1L << 33);
        run("inspect", write("no-data", empty.build()), "--json").assertError(EdgeFitCli.BAD_MODEL, name, "8589934592", "holds no data");

        ModelProto.Builder cut = cnn.toBuilder();
        TensorProto.Builder c = cut.getGraphBuilder().getInitializerBuilder(0);
        c.setRawData(c.getRawData().substring(0, c.getRawData().size() - 1));
        run("eval", write("raw-short", cut.build()), "--json").assertError(EdgeFitCli.BAD_MODEL, "raw data holds");

        ModelProto.Builder neg = cnn.toBuilder();
        neg.getGraphBuilder().getInitializerBuilder(0).setDims(0, -3);
        run("inspect", write("dims-neg", neg.build()), "--json").assertError(EdgeFitCli.BAD_MODEL, "negative dimension");
    }

    static ModelProto nestedIfs(int depth) {
        ModelProto.Builder m = cnn.toBuilder();
        GraphProto.Builder g = m.getGraphBuilder();
        g.addInitializer(TensorProto.newBuilder().setName("cond").setDataType(TensorProto.DataType.BOOL_VALUE).addInt32Data(1));
        GraphProto leaf = GraphProto.newBuilder().setName("leaf").addNode(NodeProto.newBuilder().setOpType("Identity").addInput("cond").addOutput("leaf"))
                .addOutput(scalar("leaf", TensorProto.DataType.BOOL_VALUE)).build();
        GraphProto inner = leaf;
        for (int d = 0; d < depth; d++) {
            NodeProto iff = NodeProto.newBuilder().setOpType("If").addInput("cond").addOutput("if" + d)
                    .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(inner))
                    .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH).setG(leaf)).build();
            inner = GraphProto.newBuilder().setName("level" + d).addNode(iff).addOutput(scalar("if" + d, TensorProto.DataType.BOOL_VALUE)).build();
        }
        g.addAllNode(inner.getNodeList()).addOutput(scalar("if" + (depth - 1), TensorProto.DataType.BOOL_VALUE));
        return m.build();
    }

    @Test
    void deeplyNestedSubgraphsAreRefused() throws Exception {
        run("inspect", write("if-100", nestedIfs(100)), "--json").assertError(EdgeFitCli.BAD_MODEL, "nests subgraphs", "64");
        Path deep = write("if-4096", nestedIfs(4096));
        CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run("eval", deep, "--json"));
        r.assertError(EdgeFitCli.BAD_MODEL, "too deeply");
        assertEquals(0, run("inspect", write("if-3", nestedIfs(3)), "--json").code(), "three levels are fine");
    }

    @Test
    void externalDataInsideASubgraphIsRefused() throws Exception {
        ModelProto m = nestedIfs(1);
        ModelProto.Builder b = m.toBuilder();
        NodeProto.Builder iff = b.getGraphBuilder().getNodeBuilder(b.getGraph().getNodeCount() - 1);
        GraphProto.Builder then = iff.getAttributeBuilder(0).getGBuilder();
        then.addInitializer(TensorProto.newBuilder().setName("secret").setDataType(TensorProto.DataType.UINT8_VALUE).addDims(16)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("/etc/passwd")));
        run("eval", write("sub-external", b.build()), "--json").assertError(EdgeFitCli.BAD_MODEL, "secret", "external");
    }

    @Test
    void anEndlessLoopIsStoppedByTheRunTimeout() throws Exception {
        ModelProto.Builder m = cnn.toBuilder();
        GraphProto.Builder g = m.getGraphBuilder();
        g.addInitializer(TensorProto.newBuilder().setName("trip").setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(1L << 62));
        g.addInitializer(TensorProto.newBuilder().setName("go").setDataType(TensorProto.DataType.BOOL_VALUE).addInt32Data(1));
        g.addInitializer(TensorProto.newBuilder().setName("acc").setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(0));
        GraphProto body = GraphProto.newBuilder().setName("body")
                .addInput(scalar("i", TensorProto.DataType.INT64_VALUE)).addInput(scalar("c", TensorProto.DataType.BOOL_VALUE))
                .addInput(scalar("a", TensorProto.DataType.FLOAT_VALUE))
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("c").addOutput("c2"))
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("a").addOutput("a2"))
                .addOutput(scalar("c2", TensorProto.DataType.BOOL_VALUE)).addOutput(scalar("a2", TensorProto.DataType.FLOAT_VALUE)).build();
        g.addNode(NodeProto.newBuilder().setOpType("Loop").addInput("trip").addInput("go").addInput("acc").addOutput("looped")
                .addAttribute(AttributeProto.newBuilder().setName("body").setType(AttributeProto.AttributeType.GRAPH).setG(body)));
        g.addOutput(scalar("looped", TensorProto.DataType.FLOAT_VALUE));
        Path f = write("loop-2p62", m.build());
        String before = System.getProperty(RunTimeout.PROPERTY);
        System.setProperty(RunTimeout.PROPERTY, "2");
        try {
            CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run("eval", f, "--runs", "1", "--warmup", "0", "--json"));
            r.assertError(EdgeFitCli.BAD_MODEL, "did not finish within 2 s", RunTimeout.PROPERTY);
        } finally {
            if (before == null) {
                System.clearProperty(RunTimeout.PROPERTY);
            } else {
                System.setProperty(RunTimeout.PROPERTY, before);
            }
        }
    }

    @Test
    void brokenPreprocessingMetadataIsReportedWithOrWithoutData() throws Exception {
        ModelProto.Builder m = cnn.toBuilder();
        m.clearMetadataProps().addMetadataProps(StringStringEntryProto.newBuilder().setKey("edgefit.preprocessing").setValue("{"));
        Path f = write("bad-pp", m.build());
        run("eval", f, "--runs", "1", "--warmup", "0", "--json").assertError(EdgeFitCli.BAD_MODEL, "edgefit.preprocessing");
        run("eval", f, "--data", TestModels.sampleData(), "--json").assertError(EdgeFitCli.BAD_MODEL, "edgefit.preprocessing");
        Path out = dir.resolve("bad-pp-out.onnx");
        run("compress", f, "--technique", "fp16", "--out", out, "--json").assertError(EdgeFitCli.BAD_MODEL, "edgefit.preprocessing");
        assertFalse(Files.exists(out), "not copied into an output");
        Path exp = dir.resolve("bad-pp-export");
        run("export", f, "--format", "onnx", "--out", exp, "--json").assertError(EdgeFitCli.BAD_MODEL, "edgefit.preprocessing");
        assertFalse(Files.exists(exp));
        String inspect = run("inspect", f, "--json").out();
        assertTrue(inspect.contains("edgefit.preprocessing"), inspect);
    }

    @Test
    void inputsNamedOutsideTheBasicPlaneGetOneSentence() throws Exception {
        // ONNX Runtime's Java API passes names through JNI's modified UTF-8, which mangles characters beyond U+FFFF
        String emoji = "\uD83D\uDE00pixels";
        ModelProto.Builder m = cnn.toBuilder();
        GraphProto.Builder g = m.getGraphBuilder();
        String old = g.getInput(0).getName();
        g.getInputBuilder(0).setName(emoji);
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (int i = 0; i < n.getInputCount(); i++) {
                if (n.getInput(i).equals(old)) {
                    n.setInput(i, emoji);
                }
            }
        }
        Path f = write("emoji", m.build());
        var ins = run("inspect", f, "--json").json();
        assertEquals(emoji, ins.get("inputs").get(0).get("name").asText(), "inspect shows the name as it is");
        run("eval", f, "--runs", "1", "--warmup", "0", "--json").assertError(EdgeFitCli.BAD_MODEL, emoji, "Basic Multilingual Plane", "rename");
        Path out = dir.resolve("emoji-small.onnx");
        run("compress", f, "--technique", "fp16", "--out", out, "--json").assertError(EdgeFitCli.BAD_MODEL, "Basic Multilingual Plane");
        assertFalse(Files.exists(out));
        // a name in the Basic Multilingual Plane, beyond ASCII, works
        String bmp = "ünïcödé";
        String bmpOld = g.getInput(0).getName();
        g.getInputBuilder(0).setName(bmp);
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (int i = 0; i < n.getInputCount(); i++) {
                if (n.getInput(i).equals(bmpOld)) {
                    n.setInput(i, bmp);
                }
            }
        }
        run("eval", write("bmp", m.build()), "--runs", "1", "--warmup", "0", "--json").json();
    }

    static ValueInfoProto scalar(String name, int type) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(type).setShape(TensorShapeProto.newBuilder()))).build();
    }
}
