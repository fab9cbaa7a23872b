package dev.edgefit.device;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.edgefit.common.EdgeFitException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Limits a compressed model must meet. Null means "no limit". Sizes are bytes; latency is milliseconds.
 *
 * <p>Text forms: sizes take SI units (B, KB, MB, GB, TB: powers of 1000) or binary units (KiB, MiB, GiB,
 * TiB: powers of 1024), case-insensitive, with or without a space, e.g. {@code 8MB} = 8,000,000 bytes and
 * {@code 512KiB} = 524,288 bytes; a bare number is bytes. Durations take us, ms, s (a bare number is ms).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Constraints(Long maxModelBytes, Long maxRamBytes, Double maxLatencyMs) {
    public static final Constraints NONE = new Constraints(null, null, null);

    private static final Pattern NUMBER_UNIT = Pattern.compile("([+-]?[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\\s*([a-zA-Zµ]*)");

    private static final Map<String, Long> BYTE_UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("kb", 1000L), Map.entry("mb", 1000_000L), Map.entry("gb", 1000_000_000L),
            Map.entry("tb", 1000_000_000_000L),
            Map.entry("kib", 1L << 10), Map.entry("mib", 1L << 20), Map.entry("gib", 1L << 30),
            Map.entry("tib", 1L << 40));

    private static final Map<String, Double> TIME_UNITS = Map.of(
            "", 1.0, "ms", 1.0, "us", 0.001, "µs", 0.001, "s", 1000.0);

    public Constraints {
        if (maxModelBytes != null && maxModelBytes <= 0) {
            throw EdgeFitException.badParameter("The model size limit must be greater than zero, not " + maxModelBytes + " bytes.");
        }
        if (maxRamBytes != null && maxRamBytes <= 0) {
            throw EdgeFitException.badParameter("The RAM limit must be greater than zero, not " + maxRamBytes + " bytes.");
        }
        if (maxLatencyMs != null && (!(maxLatencyMs > 0) || maxLatencyMs.isInfinite())) {
            throw EdgeFitException.badParameter("The latency limit must be a positive number of milliseconds, not " + maxLatencyMs + ".");
        }
    }

    /**
     * Constraints from user text, e.g. from CLI flags; a null or blank argument means no limit.
     *
     * @throws EdgeFitException (BAD_PARAMETER) naming the bad text
     */
    public static Constraints parse(String maxModel, String maxRam, String maxLatency) {
        return new Constraints(
                blank(maxModel) ? null : parseBytes(maxModel),
                blank(maxRam) ? null : parseBytes(maxRam),
                blank(maxLatency) ? null : parseMillis(maxLatency));
    }

    /** True when no limit is set. */
    @JsonIgnore
    public boolean isEmpty() {
        return maxModelBytes == null && maxRamBytes == null && maxLatencyMs == null;
    }

    /** These limits, with each unset one taken from {@code fallback} (e.g. user flags over a device's defaults). */
    public Constraints orElse(Constraints fallback) {
        if (fallback == null) {
            return this;
        }
        return new Constraints(
                maxModelBytes != null ? maxModelBytes : fallback.maxModelBytes,
                maxRamBytes != null ? maxRamBytes : fallback.maxRamBytes,
                maxLatencyMs != null ? maxLatencyMs : fallback.maxLatencyMs);
    }

    /**
     * Bytes from text such as {@code 8MB}, {@code 512KiB}, {@code 1.5 GiB} or {@code 1024}; rounds to the
     * nearest byte.
     *
     * @throws EdgeFitException (BAD_PARAMETER) for a negative number, an unknown unit or anything unreadable
     */
    public static long parseBytes(String text) {
        Matcher m = match(text);
        Long unit = m == null ? null : BYTE_UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
        if (unit == null) {
            throw EdgeFitException.badParameter("'" + text + "' is not a size: write a number with B, KB, MB, GB, KiB, MiB or GiB, for example 8MB or 512KiB.");
        }
        BigDecimal v = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        if (v.signum() < 0) {
            throw EdgeFitException.badParameter("'" + text + "' is not a size: it must not be negative.");
        }
        if (v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw EdgeFitException.badParameter("'" + text + "' is too large a size.");
        }
        return v.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /**
     * Milliseconds from text such as {@code 20ms}, {@code 1.5s}, {@code 500us} or {@code 20}.
     *
     * @throws EdgeFitException (BAD_PARAMETER) for a negative number, an unknown unit or anything unreadable
     */
    public static double parseMillis(String text) {
        Matcher m = match(text);
        Double unit = m == null ? null : TIME_UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
        if (unit == null) {
            throw EdgeFitException.badParameter("'" + text + "' is not a duration: write a number with ms, s or us, for example 20ms.");
        }
        double v = Double.parseDouble(m.group(1)) * unit;
        if (v < 0 || Double.isInfinite(v)) {
            throw EdgeFitException.badParameter("'" + text + "' is not a duration: it must be a finite number that is not negative.");
        }
        return v;
    }

    /**
     * A size for people, in binary units as device memories are: whole if exact ("8 MiB", "512 KiB"), else with two
     * decimals ("22.37 MiB", "683.59 KiB" for 700,000 bytes). Every view, table, report and CLI line writes sizes here.
     */
    public static String formatBytes(long bytes) {
        String[] names = {"B", "KiB", "MiB", "GiB", "TiB"};
        long scale = unitScale(bytes);
        int i = 0;
        for (long s = scale; s > 1; s /= 1024) {
            i++;
        }
        if (bytes % scale == 0) {
            return String.format(Locale.ROOT, "%d %s", bytes / scale, names[i]);
        }
        return String.format(Locale.ROOT, "%.2f %s", (double) bytes / scale, names[i]);
    }

    /**
     * A size as text that reads back ({@link #parseBytes}) to the same byte count: {@link #formatBytes} when that is whole
     * ("512 KiB"), else the bytes ("700000 B"). For form fields that are saved.
     */
    public static String formatBytesExact(long bytes) {
        String f = formatBytes(bytes);
        return parseBytes(f) == bytes ? f : bytes + " B";
    }

    /** The largest unit (1, 1024, 1024^2, ..., up to tebi) not above |bytes|. */
    private static long unitScale(long bytes) {
        long abs = Math.abs(bytes);
        long scale = 1;
        for (int i = 0; i < 4 && abs / scale >= 1024; i++) {
            scale *= 1024;
        }
        return scale;
    }

    /** A duration in milliseconds for people: "20 ms", "0.35 ms", "1250 ms". */
    public static String formatMillis(double ms) {
        if (ms == Math.rint(ms) && Math.abs(ms) < 1e15) {
            return String.format(Locale.ROOT, "%d ms", (long) ms);
        }
        return String.format(Locale.ROOT, ms >= 100 ? "%.1f ms" : "%.3g ms", ms);
    }

    private static Matcher match(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = NUMBER_UNIT.matcher(text.trim());
        return m.matches() ? m : null;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
