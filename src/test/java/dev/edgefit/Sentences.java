package dev.edgefit;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.edgefit.runtime.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Real tokenized sentences for MiniLM, made with the model's own tokenizer.json through DJL's tokenizers. */
public final class Sentences {
    public static final List<String> TEXTS = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Edge devices have little memory, so models must be compressed before deployment.",
            "A Raspberry Pi 4 has four Cortex-A72 cores.",
            "Quantization stores weights as 8-bit integers with a scale per channel.",
            "How far is it from Paris to Berlin by train?",
            "She sold seashells by the seashore on a sunny afternoon.",
            "Latency is measured after a warm-up, as percentiles over many runs.",
            "The cat sat on the mat and watched the birds outside the window.");

    private Sentences() {
    }

    public static List<Map<String, Tensor>> miniLmInputs() {
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(TestModels.miniLmTokenizer())) {
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (String s : TEXTS) {
                Encoding e = tok.encode(s);
                long n = e.getIds().length;
                Map<String, Tensor> m = new LinkedHashMap<>();
                m.put("input_ids", Tensor.of(e.getIds(), 1, n));
                m.put("attention_mask", Tensor.of(e.getAttentionMask(), 1, n));
                m.put("token_type_ids", Tensor.of(e.getTypeIds(), 1, n));
                out.add(m);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
