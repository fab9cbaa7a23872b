package dev.edgefit.export;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.ActivationRanges;
import dev.edgefit.compress.Int8Static;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.data.Dataset;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.TensorSpec;
import dev.edgefit.runtime.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A TensorRT bundle for Jetson: engines are specific to the GPU and the TensorRT version, so they are built on the
 * device; the bundle holds what the build needs. model.onnx (float: TensorRT builds fp16 from it, or int8 with the
 * calibration cache), model_qdq.onnx (explicit quantization: int8 symmetric activations and per-channel weights as
 * QuantizeLinear/DequantizeLinear, the form TensorRT prefers), calibration.cache (TensorRT's text format: one
 * "tensor: hex of the float32 scale" line per activation, scale = max |x| / 127 from EdgeFit's calibration), build.sh
 * with the trtexec commands and README.md for the device.
 */
final class TensorRtBundle {
    /** The header names the calibrator trtexec --calib reads; the scales are EdgeFit's min/max calibration. */
    static final String CACHE_HEADER = "TRT-8602-EntropyCalibration2";

    private TensorRtBundle() {
    }

    record Written(Path floatModel, Path qdqModel, Path cache, Path script, Path readme, int calibratedTensors) {
    }

    /** The int8-static parameters of the QDQ model: symmetric activations (as TensorRT takes them), per-channel weights. */
    private static Params qdqParams(Int8Static q, int samples) {
        return Params.of(q, Map.of("activations", "symmetric", "samples", Math.max(1, samples)));
    }

    /** Refuses, before anything is calibrated or written, a model the bundle's QDQ model cannot be made from. */
    static void check(ModelSnapshot snapshot) {
        Int8Static q = new Int8Static();
        Params p = qdqParams(q, 1);
        Int8Static.checkApplicable(Int8Static.upgraded(snapshot, p), p);
    }

    static Written write(Path dir, ModelSnapshot snapshot, Dataset data, dev.edgefit.data.InputOverrides inputs,
                         List<Map<String, Tensor>> calibration, Progress progress) {
        Path floatModel = dir.resolve("model.onnx");
        OnnxModels.save(snapshot, floatModel);

        Int8Static q = new Int8Static();
        Params params = qdqParams(q, calibration.size());
        ModelSnapshot qdq = q.apply(snapshot, params, new TechniqueContext(progress.slice(0, 0.5), data));
        Path qdqModel = dir.resolve("model_qdq.onnx");
        OnnxModels.save(qdq, qdqModel);

        Set<String> acts = new LinkedHashSet<>();
        snapshot.inputs().forEach(s -> acts.add(s.name()));
        for (NodeProto n : snapshot.graph().getNodeList()) {
            n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(acts::add);
        }
        Map<String, float[]> ranges = ActivationRanges.collect(snapshot, acts, calibration, ActivationRanges.Method.MINMAX, 99.99,
                progress.slice(0.5, 1));
        StringBuilder cache = new StringBuilder(CACHE_HEADER).append('\n');
        for (Map.Entry<String, float[]> e : new TreeMap<>(ranges).entrySet()) {
            float amax = Math.max(Math.abs(e.getValue()[0]), Math.abs(e.getValue()[1]));
            float scale = amax == 0 ? 1f / 127 : amax / 127f;
            cache.append(e.getKey()).append(": ").append(String.format(Locale.ROOT, "%08x", Float.floatToIntBits(scale))).append('\n');
        }
        Path cacheFile = dir.resolve("calibration.cache");
        AtomicFiles.writeString(cacheFile, cache.toString());

        String shapes = shapes(snapshot);
        String script = """
                #!/bin/sh
                # Builds TensorRT engines on the Jetson itself (an engine only runs on the GPU and TensorRT version that built it).
                # Needs trtexec (JetPack: /usr/src/tensorrt/bin/trtexec).
                set -e
                cd "$(dirname "$0")"
                TRTEXEC=${TRTEXEC:-$(command -v trtexec || echo /usr/src/tensorrt/bin/trtexec)}

                # fp16
                "$TRTEXEC" --onnx=model.onnx --fp16 %1$s --saveEngine=model_fp16.engine

                # int8, explicit quantization (QuantizeLinear/DequantizeLinear in the model; fp16 where a layer is not quantized)
                "$TRTEXEC" --onnx=model_qdq.onnx --int8 --fp16 %1$s --saveEngine=model_int8.engine

                # int8, implicit quantization from the calibration cache (deprecated in TensorRT 10; use the QDQ model there)
                # "$TRTEXEC" --onnx=model.onnx --int8 --fp16 --calib=calibration.cache %1$s --saveEngine=model_int8_calib.engine
                """.formatted(shapes);
        Path scriptFile = dir.resolve("build.sh");
        AtomicFiles.writeString(scriptFile, script);
        scriptFile.toFile().setExecutable(true, false);
        return new Written(floatModel, qdqModel, cacheFile, scriptFile, dir.resolve("README.md"), ranges.size());
    }

    /** trtexec's --shapes for the model's inputs, batch 1 for dynamic dimensions (empty if every shape is fixed). */
    static String shapes(ModelSnapshot m) {
        List<String> parts = new ArrayList<>();
        boolean dynamic = false;
        for (TensorSpec s : m.inputs()) {
            long[] shape = s.shape();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0) {
                    shape[i] = 1;
                    dynamic = true;
                }
            }
            parts.add(s.name() + ":" + String.join("x", Arrays.stream(shape).mapToObj(Long::toString).toList()));
        }
        return dynamic ? "--shapes=" + String.join(",", parts) : "";
    }

    static String readme(ModelSnapshot m, Written w, List<Artifact> verified) {
        StringBuilder s = new StringBuilder();
        s.append("# TensorRT bundle\n\n");
        s.append("TensorRT engines are specific to the GPU and the TensorRT version that build them, so this folder holds what a Jetson ")
                .append("needs to build them itself. Run `./build.sh` on the device (JetPack with TensorRT; `TRTEXEC=/path/to/trtexec` to choose one).\n\n");
        s.append("| file | what it is |\n|---|---|\n");
        s.append("| `model.onnx` | the float model: `--fp16` engine, or `--int8` with the calibration cache |\n");
        s.append("| `model_qdq.onnx` | explicit int8 quantization (symmetric activations, per-channel weights as QuantizeLinear/DequantizeLinear); TensorRT 8.6 and 10 build int8 engines from it without calibration |\n");
        s.append("| `calibration.cache` | TensorRT's calibration table in text form: one `tensor: scale` line per activation (").append(w.calibratedTensors())
                .append(" tensors), the scale as the hex of a float32, max |x| / 127 from EdgeFit's min/max calibration. The header names the calibrator that `trtexec --calib` reads (TensorRT 8.6); implicit quantization is deprecated in TensorRT 10 |\n");
        s.append("| `build.sh` | the trtexec commands |\n\n");
        s.append("Inputs: ");
        s.append(String.join(", ", m.inputs().stream().map(TensorSpec::toString).toList())).append(". Outputs: ");
        s.append(String.join(", ", m.outputs().stream().map(TensorSpec::toString).toList())).append(".\n\n");
        s.append("## Verified here\n\nNo engine was built on this machine. Both ONNX models were run in ONNX Runtime and compared with the source model:\n\n");
        s.append("| file | max abs diff | SQNR (worst output) | mean cosine | top-1 agreement | accuracy |\n|---|---|---|---|---|---|\n");
        for (Artifact a : verified) {
            Verification v = a.verification();
            s.append(String.format(Locale.ROOT, "| `%s` | %.3g | %s | %s | %s | %s |%n", a.path().getFileName(), v.maxAbsDiff(), v.sqnrText(),
                    Verification.text(v.meanCosine(), "%.5f"), Verification.text(v.top1Agreement(), "%.4f"),
                    v.accuracy() == null ? "no labels" : String.format(Locale.ROOT, "%.2f%%", v.accuracy() * 100)));
        }
        s.append("\nOn the device, check the engine the same way: `trtexec --loadEngine=model_int8.engine` for latency, and compare its outputs ")
                .append("with the float model on a few inputs before shipping.\n");
        return s.toString();
    }
}
