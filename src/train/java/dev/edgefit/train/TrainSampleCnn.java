package dev.edgefit.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import dev.edgefit.common.AtomicFiles;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.IdxReader;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.Tensors;
import dev.edgefit.model.ValueInfos;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains EdgeFit's bundled sample model, a small Fashion-MNIST CNN, with DJL's PyTorch engine offline, and writes it
 * as ONNX built with the ONNX protobuf classes. Before writing, ONNX Runtime must reproduce DJL's outputs and its
 * test accuracy is measured on all 10,000 test images.
 *
 * <pre>mvn -Ptrain compile exec:java [-Dfashion.dir=/usr/share/datasets/fashion-mnist] [-Depochs=6] [-Dseed=42]
 *     [-Dout=assets/models/fashion_cnn.onnx] [-Dsubset=assets/data/fashion-mnist-2k] [-Dexec.args=DATA_DIR]</pre>
 * It also writes README.md beside the model with the numbers it measured.
 */
public final class TrainSampleCnn {
    static final String[] LABELS = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    /** Mean and standard deviation of the 60,000 Fashion-MNIST training pixels (scaled to [0, 1]). */
    static final Preprocessing PP = new Preprocessing(1 / 255.0, new float[] {0.2860f}, new float[] {0.3530f}, Preprocessing.Layout.NCHW);

    private TrainSampleCnn() {
    }

    public static void main(String[] args) throws Exception {
        // the data folder: first argument, else -Dfashion.dir, else where Debian's dataset-fashion-mnist puts it
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("fashion.dir", "/usr/share/datasets/fashion-mnist"));
        Path out = Path.of(System.getProperty("out", "assets/models/fashion_cnn.onnx"));
        Path subset = Path.of(System.getProperty("subset", "assets/data/fashion-mnist-2k"));
        int epochs = Integer.getInteger("epochs", 6);
        int seed = Integer.getInteger("seed", 42);
        long t0 = System.nanoTime();
        float[][] train = load(idx(dir, "train-images-idx3-ubyte"));
        byte[] trainLabels = IdxReader.read(idx(dir, "train-labels-idx1-ubyte")).data();
        float[][] test = load(idx(dir, "t10k-images-idx3-ubyte"));
        byte[] testLabels = IdxReader.read(idx(dir, "t10k-labels-idx1-ubyte")).data();
        if (train.length != trainLabels.length || test.length != testLabels.length) {
            throw new IllegalStateException(dir + ": image and label counts differ (" + train.length + "/" + trainLabels.length
                    + " train, " + test.length + "/" + testLabels.length + " test)");
        }
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("read %d training and %d test images from %s in %.1f s%n", train.length, test.length, dir, loadSeconds);

        Engine.getInstance().setRandomSeed(seed);
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("fashion_cnn")) {
            SequentialBlock net = network();
            model.setBlock(net);
            NDArray x = manager.create(flatten(train), new Shape(train.length, 1, 28, 28));
            NDArray y = manager.create(toFloat(trainLabels), new Shape(trainLabels.length));
            ArrayDataset trainSet = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(128, true).build();
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build());
            long t1 = System.nanoTime();
            try (Trainer trainer = model.newTrainer(cfg)) {
                trainer.initialize(new Shape(1, 1, 28, 28));
                for (int e = 0; e < epochs; e++) {
                    EasyTrain.fit(trainer, 1, trainSet, null);
                    System.out.printf("epoch %d/%d done, %.0f s%n", e + 1, epochs, (System.nanoTime() - t1) / 1e9);
                }
            }
            double trainSeconds = (System.nanoTime() - t1) / 1e9;
            Map<String, float[]> p = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (Pair<String, Parameter> e : net.getParameters()) {
                NDArray a = e.getValue().getArray();
                p.put(e.getKey(), a.toFloatArray());
                shapes.put(e.getKey(), a.getShape().getShape());
            }
            long params = p.values().stream().mapToLong(a -> a.length).sum();
            ModelSnapshot onnx = toOnnx(p, shapes);

            // DJL's own outputs on the first 100 test images, for the check below
            NDArray tx = manager.create(flatten(java.util.Arrays.copyOf(test, 100)), new Shape(100, 1, 28, 28));
            float[] djl = net.forward(new ParameterStore(manager, false), new NDList(tx), false).singletonOrThrow().toFloatArray();

            Path tmp = Files.createTempFile("fashion_cnn", ".onnx");
            OnnxModels.save(onnx, tmp);
            double maxDiff = 0;
            int correct;
            int correctSubset;
            int subsetSize;
            try (OrtRunner r = new OrtRunner(tmp, RunnerOptions.DEFAULT)) {
                float[] ort = r.run(Map.of("input", Tensor.of(flatten(java.util.Arrays.copyOf(test, 100)), 100, 1, 28, 28))).get("logits").floats();
                for (int i = 0; i < ort.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ort[i] - djl[i]));
                }
                if (!(maxDiff < 1e-3)) {
                    throw new IllegalStateException("ONNX Runtime differs from DJL by " + maxDiff + " on the first 100 test images; not writing the model");
                }
                correct = correct(r, test, testLabels);
                // the bundled subset, read from its own files with the same preprocessing
                Dataset sub = Datasets.open(subset, PP);
                float[][] subImages = new float[sub.size()][];
                byte[] subLabels = new byte[sub.size()];
                for (int i = 0; i < sub.size(); i++) {
                    subImages[i] = sub.sample(i);
                    subLabels[i] = (byte) sub.label(i);
                }
                subsetSize = sub.size();
                correctSubset = correct(r, subImages, subLabels);
            } finally {
                Files.deleteIfExists(tmp);
            }
            double acc = correct / (double) test.length;
            double accSubset = correctSubset / (double) subsetSize;
            System.out.printf("ONNX vs DJL max abs diff %.2e; ONNX Runtime test accuracy %.4f (%d/%d), %.4f on %s (%d/%d); params %d; training %.0f s%n",
                    maxDiff, acc, correct, test.length, accSubset, subset, correctSubset, subsetSize, params, trainSeconds);
            if (acc < 0.88) {
                throw new IllegalStateException("test accuracy " + acc + " is below 0.88; not writing the model");
            }
            OnnxModels.save(onnx, out);
            long bytes = Files.size(out);
            System.out.println("written " + out + " (" + bytes + " bytes)");
            Path readme = out.toAbsolutePath().getParent().resolve("README.md");
            AtomicFiles.writeString(readme, readme(new Run(dir, epochs, seed, params, bytes, trainSeconds, maxDiff, correct, test.length,
                    correctSubset, subsetSize, subset)));
            System.out.println("written " + readme);
        }
    }

    /** What one training run measured; every number in the README comes from here. */
    record Run(Path data, int epochs, int seed, long params, long bytes, double trainSeconds, double maxDiff, int correct, int total,
               int correctSubset, int subsetSize, Path subset) {
    }

    static String readme(Run r) {
        String settings = "-Depochs=" + r.epochs() + " -Dseed=" + r.seed()
                + (r.data().equals(Path.of("/usr/share/datasets/fashion-mnist")) ? "" : " -Dfashion.dir=" + r.data());
        return String.format(java.util.Locale.ROOT, """
                # Sample model: `fashion_cnn.onnx`

                A small CNN for Fashion-MNIST (28x28 greyscale clothing images, 10 classes), bundled so that the workbench
                opens on something real. This file was written by the training program together with the model; every
                number below was measured in that run.

                | | |
                |---|---|
                | Input | `input`, float32 `[batch, 1, 28, 28]`, pixels x = (p / 255 - %s) / %s (stored in the model's metadata `%s`) |
                | Output | `logits`, float32 `[batch, 10]` (class names in metadata `edgefit.labels`: %s) |
                | Architecture | Conv3x3(1→16)+BatchNorm+ReLU, MaxPool 2; Conv3x3(16→32)+BatchNorm+ReLU, MaxPool 2; depthwise-separable block: depthwise Conv3x3 (group 32)+BatchNorm+ReLU, pointwise Conv1x1(32→64)+BatchNorm+ReLU; MaxPool 2; Flatten; Gemm(576→128)+ReLU; Gemm(128→10) |
                | Parameters | %,d float32 (BatchNorm running statistics included) |
                | File | %,d bytes, ONNX opset 13, IR 8, BatchNormalization kept as separate nodes |
                | Test accuracy | **%.2f%%** (%d/%d) on all Fashion-MNIST test images; **%.2f%%** (%d/%d) on the bundled subset (`%s`) |

                Both accuracies were measured by %s running this file; before the file was written, ONNX Runtime's
                outputs were checked against DJL's on the first 100 test images (max abs difference %.1e).

                ## How it was made

                Trained with DJL %s's PyTorch engine (libtorch %s, CPU, offline) on the 60,000 Fashion-MNIST training
                images from Debian's `dataset-fashion-mnist` package (Fashion-MNIST by Zalando Research, MIT licence): Adam,
                learning rate 1e-3, batch 128, %d epochs, seed %d, softmax cross-entropy. Training took %.0f s on %d CPU
                cores (the epochs only, not reading the data or checking the export). The program builds the ONNX graph
                itself with the ONNX protobuf classes (`src/train/java/dev/edgefit/train/TrainSampleCnn.java`):

                    apt-get install dataset-fashion-mnist
                    mvn -Ptrain compile exec:java %s

                The test images were never used for training. libtorch's CPU kernels are not guaranteed to be
                bit-reproducible across machines, so a model retrained elsewhere may differ in the last digits of its
                accuracy.
                """, fmt(PP.mean()[0]), fmt(PP.std()[0]), Preprocessing.METADATA_KEY, String.join(", ", LABELS),
                r.params(), r.bytes(), 100.0 * r.correct() / r.total(), r.correct(), r.total(),
                100.0 * r.correctSubset() / r.subsetSize(), r.correctSubset(), r.subsetSize(), r.subset(),
                OrtRunner.version(), r.maxDiff(), Engine.getDjlVersion(), Engine.getInstance().getVersion(), r.epochs(), r.seed(),
                r.trainSeconds(), Runtime.getRuntime().availableProcessors(), settings);
    }

    private static String fmt(float v) {
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    /** Top-1 correct predictions of the ONNX model on these images, in batches of 500. */
    static int correct(OrtRunner r, float[][] images, byte[] labels) {
        int correct = 0;
        for (int start = 0; start < images.length; start += 500) {
            int n = Math.min(500, images.length - start);
            float[][] part = java.util.Arrays.copyOfRange(images, start, start + n);
            float[] logits = r.run(Map.of("input", Tensor.of(flatten(part), n, 1, 28, 28))).get("logits").floats();
            for (int i = 0; i < n; i++) {
                int arg = 0;
                for (int c = 1; c < 10; c++) {
                    if (logits[i * 10 + c] > logits[i * 10 + arg]) {
                        arg = c;
                    }
                }
                if (arg == (labels[start + i] & 0xFF)) {
                    correct++;
                }
            }
        }
        return correct;
    }

    /** {@code name.gz} if present (as Debian ships it), else {@code name}. */
    static Path idx(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz");
        return Files.exists(gz) ? gz : dir.resolve(name);
    }

    static SequentialBlock network() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(16).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(32).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(32).optGroups(32).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(64).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(128).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    /** The same network as ONNX (opset 13): Conv/BatchNormalization/Relu blocks, MaxPool, Flatten, Gemm. */
    static ModelSnapshot toOnnx(Map<String, float[]> p, Map<String, long[]> shapes) {
        List<String> keys = new ArrayList<>(p.keySet());
        GraphProto.Builder g = GraphProto.newBuilder().setName("fashion_cnn");
        for (String k : keys) {
            g.addInitializer(Tensors.floats(k, shapes.get(k), p.get(k)));
        }
        // parameter names are prefixed by the block's position: 01Conv2d_weight, 02BatchNorm_gamma, ...
        String v = "input";
        String[][] blocks = {
            {"01", "02", "conv1", "bn1", "relu1", "1"}, {"05", "06", "conv2", "bn2", "relu2", "1"},
            {"09", "10", "dwconv", "bn3", "relu3", "32"}, {"12", "13", "pwconv", "bn4", "relu4", "1"}};
        int pool = 1;
        for (String[] b : blocks) {
            String conv = prefix(keys, b[0]);
            String bn = prefix(keys, b[1]);
            long k = shapes.get(conv + "weight")[2];
            NodeProto.Builder c = NodeProto.newBuilder().setOpType("Conv").setName(b[2]).addInput(v).addInput(conv + "weight")
                    .addInput(conv + "bias").addOutput(b[2] + "_out")
                    .addAttribute(ints("kernel_shape", k, k)).addAttribute(ints("pads", k / 2, k / 2, k / 2, k / 2))
                    .addAttribute(AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(Long.parseLong(b[5])));
            g.addNode(c);
            g.addNode(NodeProto.newBuilder().setOpType("BatchNormalization").setName(b[3]).addInput(b[2] + "_out")
                    .addInput(bn + "gamma").addInput(bn + "beta").addInput(bn + "runningMean").addInput(bn + "runningVar")
                    .addOutput(b[3] + "_out").addAttribute(AttributeProto.newBuilder().setName("epsilon").setType(AttributeProto.AttributeType.FLOAT).setF(1e-5f)));
            g.addNode(NodeProto.newBuilder().setOpType("Relu").setName(b[4]).addInput(b[3] + "_out").addOutput(b[4] + "_out"));
            v = b[4] + "_out";
            if (!b[2].equals("dwconv")) {
                String out = "pool" + pool + "_out";
                g.addNode(NodeProto.newBuilder().setOpType("MaxPool").setName("pool" + pool++).addInput(v).addOutput(out)
                        .addAttribute(ints("kernel_shape", 2, 2)).addAttribute(ints("strides", 2, 2)));
                v = out;
            }
        }
        g.addNode(NodeProto.newBuilder().setOpType("Flatten").setName("flatten").addInput(v).addOutput("flat")
                .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1)));
        String fc1 = prefix(keys, "17");
        String fc2 = prefix(keys, "19");
        g.addNode(gemm("fc1", "flat", fc1, "fc1_out"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu5").addInput("fc1_out").addOutput("relu5_out"));
        g.addNode(gemm("fc2", "relu5_out", fc2, "logits"));
        g.addInput(ValueInfos.of("input", DType.FLOAT, new long[] {-1, 1, 28, 28}, List.of("batch", "", "", "")));
        g.addOutput(ValueInfos.of("logits", DType.FLOAT, new long[] {-1, 10}, List.of("batch", "")));
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("EdgeFit").setProducerVersion("0.1")
                .setDocString("Fashion-MNIST CNN trained by src/train/java/dev/edgefit/train/TrainSampleCnn.java")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey(Preprocessing.METADATA_KEY).setValue(PP.toJson()))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("edgefit.labels").setValue(String.join(",", LABELS)))
                .setGraph(g).build();
        return new ModelSnapshot(m, null, "fashion_cnn.onnx");
    }

    private static String prefix(List<String> keys, String pos) {
        for (String k : keys) {
            if (k.startsWith(pos)) {
                return k.substring(0, k.indexOf('_') + 1);
            }
        }
        throw new IllegalStateException("no parameters for block " + pos + " in " + keys);
    }

    private static NodeProto gemm(String name, String in, String prefix, String out) {
        return NodeProto.newBuilder().setOpType("Gemm").setName(name).addInput(in).addInput(prefix + "weight").addInput(prefix + "bias")
                .addOutput(out).addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1)).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static float[][] load(Path images) {
        IdxReader.IdxArray a = IdxReader.read(images);
        float[][] out = new float[a.count()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = PP.apply(a.data(), i * 784, 28, 28, 1);
        }
        return out;
    }

    static float[] flatten(float[][] x) {
        float[] out = new float[x.length * 784];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, out, i * 784, 784);
        }
        return out;
    }

    static float[] toFloat(byte[] labels) {
        float[] out = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i] & 0xFF;
        }
        return out;
    }
}
