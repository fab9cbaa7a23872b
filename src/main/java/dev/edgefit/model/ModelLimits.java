package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;

import java.nio.file.Path;

/**
 * What a model file must respect before anything reads its tensors: subgraphs (If, Loop, Scan bodies) nested at most
 * {@link #MAX_SUBGRAPH_DEPTH} deep, every tensor dimension non-negative, element counts and byte sizes that fit in a
 * long, and tensor data that is there and as long as the dimensions say. A file that breaks one of these gets one
 * sentence naming the tensor, instead of an arithmetic overflow somewhere later or a report of weights that do not exist.
 */
public final class ModelLimits {
    /** Subgraphs inside subgraphs: published models nest two or three deep (Silero VAD v5: 2). */
    public static final int MAX_SUBGRAPH_DEPTH = 64;

    private ModelLimits() {
    }

    /** Refuses subgraphs nested deeper than {@link #MAX_SUBGRAPH_DEPTH} (checked before any recursive walk of the model). */
    public static void checkDepth(Path file, ModelProto model) {
        depth(file, model.getGraph(), 0);
    }

    private static void depth(Path file, GraphProto g, int level) {
        if (level > MAX_SUBGRAPH_DEPTH) {
            throw EdgeFitException.badModel(file, "nests subgraphs (If/Loop/Scan bodies) more than " + MAX_SUBGRAPH_DEPTH
                    + " levels deep; EdgeFit refuses such graphs.");
        }
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    depth(file, a.getG(), level + 1);
                }
                for (GraphProto sg : a.getGraphsList()) {
                    depth(file, sg, level + 1);
                }
            }
        }
    }

    /**
     * Checks every tensor of every graph (initializers, subgraphs included). The main graph's external data must be
     * resolved already; external data anywhere else is refused.
     */
    public static void checkTensors(Path file, ModelProto model) {
        tensors(file, model.getGraph());
    }

    private static void tensors(Path file, GraphProto g) {
        for (TensorProto t : g.getInitializerList()) {
            checkTensor(file, t);
        }
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasT()) {
                    checkTensor(file, a.getT());
                }
                for (TensorProto t : a.getTensorsList()) {
                    checkTensor(file, t);
                }
                if (a.hasG()) {
                    tensors(file, a.getG());
                }
                for (GraphProto sg : a.getGraphsList()) {
                    tensors(file, sg);
                }
            }
        }
    }

    /** The number of elements the dimensions declare; refuses negative dimensions and counts beyond a long. */
    public static long elementCount(Path file, TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            if (d < 0) {
                throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' has a negative dimension (" + d + ").");
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' declares dimensions " + t.getDimsList()
                        + ", more elements than any file can hold.");
            }
        }
        return n;
    }

    /** Bytes the declared elements take as raw data; refuses sizes beyond a long. */
    public static long expectedBytes(Path file, TensorProto t, DType d) {
        long n = elementCount(file, t);
        if (d.bits() > 0 && n > (Long.MAX_VALUE - 7) / d.bits()) {
            throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' declares dimensions " + t.getDimsList()
                    + ", more bytes than any file can hold.");
        }
        return (n * d.bits() + 7) / 8;
    }

    private static void checkTensor(Path file, TensorProto t) {
        DType d = DType.fromOnnx(t.getDataType());
        long n = elementCount(file, t);
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            // the main graph's initializers are read (and checked) by OnnxModels; any other would be read by ONNX Runtime unchecked
            throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' keeps its data in an external file inside a subgraph "
                    + "or a node attribute; EdgeFit reads external data only for the main graph's initializers.");
        }
        if (d == DType.UNDEFINED) {
            if (t.getDataType() == 0 || TensorProto.DataType.forNumber(t.getDataType()) == null) {
                throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' has an unknown element type (" + t.getDataType() + ").");
            }
            return; // an ONNX type EdgeFit does not read (complex, float8): ONNX Runtime judges it
        }
        if (d == DType.STRING) {
            if (t.getStringDataCount() != n) {
                throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' declares " + n + " strings but holds "
                        + t.getStringDataCount() + ".");
            }
            return;
        }
        if (!t.getRawData().isEmpty()) {
            long expected = expectedBytes(file, t, d);
            if (t.getRawData().size() != expected) {
                throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' declares " + n + " " + d.label() + " values ("
                        + expected + " bytes) but its raw data holds " + t.getRawData().size() + " bytes.");
            }
            return;
        }
        long typed = (long) t.getFloatDataCount() + t.getInt32DataCount() + t.getInt64DataCount() + t.getDoubleDataCount()
                + t.getUint64DataCount();
        long fieldCount = switch (d) {
            case FLOAT -> t.getFloatDataCount();
            case DOUBLE -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            case INT32 -> t.getInt32DataCount();
            default -> -1;
        };
        if (fieldCount >= 0 && fieldCount != n && !(typed == 0 && n == 0)) {
            throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' declares " + n + " " + d.label()
                    + " values but holds " + (typed == 0 ? "no data" : fieldCount + "") + ".");
        }
        if (typed == 0 && n > 0) {
            throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' declares " + n + " " + d.label()
                    + " values but holds no data.");
        }
    }
}
