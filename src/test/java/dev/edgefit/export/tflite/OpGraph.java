package dev.edgefit.export.tflite;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.compress.GraphBuilder;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Tensors;
import dev.edgefit.model.ValueInfos;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/** Small ONNX graphs for converter tests: float input "x" of a fixed shape, nodes added with GraphBuilder, output "y". */
final class OpGraph {
    private OpGraph() {
    }

    static ModelSnapshot of(String label, long[] inShape, Consumer<GraphBuilder> body) {
        return of(label, 13, inShape, body);
    }

    static ModelSnapshot of(String label, int opset, long[] inShape, Consumer<GraphBuilder> body) {
        GraphProto g = GraphProto.newBuilder().setName(label)
                .addInput(ValueInfos.of("x", DType.FLOAT, inShape, List.of()))
                .addOutput(ValueInfoProto.newBuilder().setName("y")).build();
        ModelProto p = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset)).setGraph(g).build();
        GraphBuilder b = new GraphBuilder(new ModelSnapshot(p, null, label));
        body.accept(b);
        return b.build(label);
    }

    /** A float initializer with values from N(0, scale^2), fixed seed per name. */
    static String weights(GraphBuilder g, String name, float scale, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        Random r = new Random(name.hashCode());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return g.addInitializer(Tensors.floats(name, dims, v));
    }

    static String floats(GraphBuilder g, String name, long[] dims, float... v) {
        return g.addInitializer(Tensors.floats(name, dims, v));
    }

    static String ints(GraphBuilder g, String name, long... v) {
        return g.addInitializer(Tensors.int64(name, new long[] {v.length}, v));
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static AttributeProto i(String name, long v) {
        return GraphBuilder.intAttr(name, v);
    }

    static AttributeProto f(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto s(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }
}
