package dev.edgefit.report;

import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.Json;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** Writes a deployment report as JSON and as one self-contained HTML page (inline CSS and SVG, no scripts). */
public final class ReportWriter {
    /** Chart colours, shared with the workbench's chart styles by value. */
    static final String[] SERIES = {"#2f6db5", "#2e8b57", "#c0552b"};

    private ReportWriter() {
    }

    public static void writeJson(DeploymentReport r, Path file) {
        AtomicFiles.writeString(file, Json.write(r));
    }

    public static void writeHtml(DeploymentReport r, Path file) {
        AtomicFiles.writeString(file, html(r));
    }

    /** The only way text reaches the page: every string from a model file or the user passes through here. */
    public static String esc(Object o) {
        if (o == null) {
            return "";
        }
        String s = String.valueOf(o);
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String html(DeploymentReport r) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>EdgeFit report: ")
                .append(esc(r.model().file())).append("</title><style>")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;color:#222}")
                .append("h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}")
                .append("table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}")
                .append("th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}")
                .append(".PASS{color:#1d7a3a;font-weight:600}.FAIL{color:#b3261e;font-weight:600}.NOT_MEASURED,.UNKNOWN{color:#777}")
                .append(".REJECTED{color:#b3261e}.charts{display:flex;gap:16px;flex-wrap:wrap}.note{color:#555;font-size:.85em}")
                .append("code{font-size:.85em}</style></head><body>");
        h.append("<h1>EdgeFit deployment report</h1><p class=\"note\">Generated ").append(esc(r.generated()))
                .append(" by EdgeFit ").append(esc(r.edgefitVersion())).append(".</p>");

        h.append("<h2>Model</h2><table>");
        row(h, "File", esc(r.model().file()));
        row(h, "Size", esc(bytes(r.model().bytes())));
        row(h, "SHA-256", "<code>" + esc(r.model().sha256()) + "</code>");
        row(h, "Opset", esc(r.model().opset()));
        row(h, "Parameters", esc(String.format(Locale.ROOT, "%,d", r.model().parameters())));
        row(h, "MACs", r.model().macs() == null ? "not measured" : esc(String.format(Locale.ROOT, "%,d", r.model().macs())));
        h.append("</table>");

        h.append("<h2>Target device</h2>");
        if (r.device().isEmpty()) {
            h.append("<p>No device chosen.</p>");
        } else {
            h.append("<table>");
            r.device().forEach((k, v) -> {
                if (!(v instanceof dev.edgefit.device.Estimate) && !k.equals("verdict")) {
                    row(h, esc(k), esc(v instanceof Long l && k.endsWith("Bytes") ? bytes(l) : v));
                }
            });
            h.append("</table>");
            if (r.device().get("estimate") instanceof dev.edgefit.device.Estimate e) {
                h.append("<h3>The current step on this device").append(e.measured() ? " (measured here)" : " (estimated)").append("</h3><table>");
                row(h, "Runtime", esc(e.runtime() == null ? "none" : e.runtime()));
                row(h, "Latency", esc(e.latencyText()));
                row(h, "Basis", esc(e.basis()));
                row(h, "Peak RAM", esc((e.measured() ? "" : "est. ") + bytes(e.peakRamBytes())));
                row(h, "Flash / storage", esc(bytes(e.flashBytes())));
                row(h, "Energy per inference", esc(e.energyText()));
                row(h, "Fits", esc(verdict(r)));
                for (String reason : e.reasons()) {
                    row(h, "Note", esc(reason));
                }
                h.append("</table>");
            }
        }
        h.append("<h2>Constraints (current step)</h2>");
        if (r.constraints().isEmpty()) {
            h.append("<p>No constraints set.</p>");
        } else {
            if (r.device().get("verdict") != null) {
                h.append("<p>Fits: <span class=\"").append(esc(r.device().get("verdict").toString().toUpperCase(Locale.ROOT))).append("\">")
                        .append(esc(verdict(r))).append("</span></p>");
            }
            h.append("<table><tr><th>Constraint</th><th>Limit</th><th>").append(r.device().isEmpty() ? "Measured" : "On the device").append("</th><th>This machine's (measured)</th><th>Status</th>")
                    .append("<th>Margin</th><th>Note</th></tr>");
            for (DeploymentReport.ConstraintRow c : r.constraints()) {
                h.append("<tr><td>").append(esc(c.name())).append("</td><td>").append(esc(c.limit())).append("</td><td>")
                        .append(esc(c.actual())).append("</td><td>").append(esc(c.thisMachine() == null ? "" : c.thisMachine()))
                        .append("</td><td class=\"").append(esc(c.status())).append("\">").append(esc(c.status()))
                        .append("</td><td class=\"num\">").append(esc(dev.edgefit.device.FitCheck.ConstraintResult.marginText(c.marginPct())))
                        .append("</td><td>").append(esc(c.note())).append("</td></tr>");
            }
            h.append("</table>");
        }

        h.append("<h2>Steps</h2><p class=\"note\">Acceptance rule: <code>").append(esc(r.acceptance()))
                .append("</code> (the first figure measured decides; every output is compared with the original's and the worst one counts).</p>")
                .append("<table><tr><th>#</th><th>From step</th><th>Technique</th><th>Parameters</th><th>Status</th><th>Size</th>")
                .append("<th>Accuracy</th><th>Retention</th><th>SQNR to original (worst output)</th><th>Cosine to original</th><th>Decided by</th>")
                .append("<th>Latency p50 / p90 / p99 (this machine)</th><th>Peak memory</th></tr>");
        for (DeploymentReport.StepRow s : r.steps()) {
            h.append("<tr><td class=\"num\">").append(s.index()).append("</td><td class=\"num\">").append(s.parent() == null ? "" : s.parent())
                    .append("</td><td>").append(esc(s.technique())).append("</td><td><code>")
                    .append(esc(s.params().isEmpty() ? "" : s.params())).append("</code></td><td class=\"").append(esc(s.status())).append("\">")
                    .append(esc(s.status())).append(s.note() == null ? "" : "<br><span class=\"note\">" + esc(s.note()) + "</span>")
                    .append("</td><td class=\"num\">").append(esc(bytes(s.fileBytes()))).append("</td><td class=\"num\">")
                    .append(pct(s.accuracy())).append("</td><td class=\"num\">").append(num(s.retention(), "%.4f"))
                    .append("</td><td class=\"num\">").append(sqnr(s)).append("</td><td class=\"num\">")
                    .append(s.index() > 0 && s.meanCosine() == null && s.sqnrDb() != null ? "n/a" : num(s.meanCosine(), "%.5f"))
                    .append("</td><td>").append(s.index() == 0 ? "" : s.decidedBy() == null ? "not judged" : esc(s.decidedBy()))
                    .append("</td><td class=\"num\">")
                    .append(s.latencyP50Ms() == null ? "not measured" : esc(String.format(Locale.ROOT, "%.2f / %.2f / %.2f ms",
                            s.latencyP50Ms(), s.latencyP90Ms(), s.latencyP99Ms())))
                    .append("</td><td class=\"num\">").append(s.peakMemoryBytes() == null ? "not measured" : esc(bytes(s.peakMemoryBytes())))
                    .append("</td></tr>");
        }
        h.append("</table>");
        if (r.recipe() != null) {
            h.append("<h2>Recipe</h2><p class=\"note\">What made the reported step, from the source model (SHA-256 checked on replay): "
                    + "<code>edgefit compress MODEL --recipe report.json --out FILE</code> replays it.</p><pre>")
                    .append(esc(dev.edgefit.common.Json.write(r.recipe()))).append("</pre>");
        }
        h.append("<div class=\"charts\">");
        h.append(chart("Size (MiB)", r.steps(), s -> s.fileBytes() / 1048576.0, SERIES[0]));
        h.append(chart("Accuracy (%)", r.steps(), s -> s.accuracy() == null ? null : s.accuracy() * 100, SERIES[1]));
        h.append(chart("Latency p50 (ms, this machine)", r.steps(), DeploymentReport.StepRow::latencyP50Ms, SERIES[2]));
        h.append("</div>");

        h.append("<h2>Artifacts</h2>");
        if (r.artifacts().isEmpty()) {
            h.append("<p>Nothing exported.</p>");
        } else {
            h.append("<table><tr><th>File</th><th>Format</th><th>Precision</th><th>Size</th><th>SHA-256</th><th>Verification</th></tr>");
            for (Map<String, Object> a : r.artifacts()) {
                h.append("<tr><td>").append(esc(a.get("path"))).append("</td><td>").append(esc(a.get("format"))).append("</td><td>")
                        .append(esc(a.get("precision"))).append("</td><td class=\"num\">").append(esc(bytes((Long) a.get("bytes"))))
                        .append("</td><td><code>").append(esc(a.get("sha256"))).append("</code></td><td>");
                if (a.get("verification") instanceof dev.edgefit.export.Verification v) {
                    h.append(esc(String.format(Locale.ROOT, "%s: SQNR %s, max |diff| %.3g, cosine %s, top-1 agreement %s (%d inputs)%s. %s",
                            v.runtime(), v.sqnrText(), v.maxAbsDiff(), dev.edgefit.export.Verification.text(v.meanCosine(), "%.5f"),
                            dev.edgefit.export.Verification.text(v.top1Agreement(), "%.4f"), v.samples(),
                            v.accuracy() == null ? "" : String.format(Locale.ROOT, ", accuracy %.2f%%%s", v.accuracy() * 100,
                                    v.accuracySamples() == null ? "" : String.format(Locale.ROOT, " on %,d labelled items", v.accuracySamples())),
                            v.note())));
                }
                h.append("</td></tr>");
            }
            h.append("</table>");
        }
        h.append("<h2>Host</h2><table>");
        r.host().forEach((k, v) -> row(h, esc(k), esc(v instanceof Long l && k.endsWith("Bytes") ? bytes(l) : v)));
        h.append("</table><h2>How to read this</h2><ul>");
        for (String n : r.notes()) {
            h.append("<li>").append(esc(n)).append("</li>");
        }
        h.append("</ul></body></html>\n");
        return h.toString();
    }

    /** The report's one verdict: "yes", "no", "unknown" or "not measured", from the constraint rows. */
    public static String verdict(DeploymentReport r) {
        Object v = r.device().get("verdict");
        if (v instanceof dev.edgefit.device.FitCheck.Status st) {
            return st.fitsText();
        }
        return v == null ? "not judged" : switch (v.toString()) {
            case "pass" -> "yes";
            case "fail" -> "no";
            case "not_measured" -> "not measured";
            default -> v.toString();
        };
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>");
    }

    private static String pct(Double d) {
        return d == null ? "not measured" : esc(String.format(Locale.ROOT, "%.2f%%", d * 100));
    }

    /** The step's worst-output SQNR: "identical" for step 0 or identical outputs. */
    private static String sqnr(DeploymentReport.StepRow s) {
        if (s.index() == 0) {
            return "";
        }
        if (s.sqnrDb() == null) {
            return s.outputs().isEmpty() ? "not measured" : "identical";
        }
        return esc(String.format(Locale.ROOT, "%.1f dB", s.sqnrDb()));
    }

    private static String num(Double d, String fmt) {
        return d == null ? "not measured" : esc(String.format(Locale.ROOT, fmt, d));
    }

    static String bytes(long b) {
        return b < 1024 ? b + " bytes" : String.format(Locale.ROOT, "%s (%,d bytes)", dev.edgefit.device.Constraints.formatBytes(b), b);
    }

    /** A small bar chart, one bar per step with a value; steps without a value get no bar and say so. */
    static String chart(String title, List<DeploymentReport.StepRow> steps, Function<DeploymentReport.StepRow, Double> value, String colour) {
        int w = 340;
        int hgt = 180;
        int pad = 30;
        double max = 0;
        for (DeploymentReport.StepRow s : steps) {
            Double v = value.apply(s);
            if (v != null) {
                max = Math.max(max, v);
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("<svg width=\"").append(w).append("\" height=\"").append(hgt)
                .append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\"><text x=\"4\" y=\"14\" font-size=\"12\">")
                .append(esc(title)).append("</text>");
        int n = Math.max(1, steps.size());
        double slot = (w - pad) / (double) n;
        for (int i = 0; i < steps.size(); i++) {
            Double v = value.apply(steps.get(i));
            double x = pad + i * slot + slot * 0.15;
            if (v == null || max <= 0) {
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" fill=\"#777\">n/m</text>", x, hgt - 22));
            } else {
                double bh = (hgt - 60) * v / max;
                b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                        x, hgt - 20 - bh, slot * 0.7, bh, colour));
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s</text>", x, hgt - 24 - bh,
                        esc(String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v))));
            }
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%d %s</text>", x, hgt - 6, steps.get(i).index(),
                    esc(steps.get(i).technique().length() > 10 ? steps.get(i).technique().substring(0, 10) : steps.get(i).technique())));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", pad - 4, hgt - 20, w, hgt - 20));
        return b.append("</svg>").toString();
    }
}
