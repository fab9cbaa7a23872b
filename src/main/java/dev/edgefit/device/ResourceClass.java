package dev.edgefit.device;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * How constrained a device is, derived from its RAM and CPU clock (never typed in a profile).
 *
 * <table>
 *   <caption>Limits: a device is in a class when it is under BOTH of that class's limits</caption>
 *   <tr><th>class</th><th>RAM under</th><th>clock under</th></tr>
 *   <tr><td>ultra_low</td><td>100 MiB</td><td>500 MHz</td></tr>
 *   <tr><td>low</td><td>1 GiB</td><td>1000 MHz</td></tr>
 *   <tr><td>medium</td><td>4 GiB</td><td>2000 MHz</td></tr>
 *   <tr><td>high</td><td colspan="2">everything else</td></tr>
 * </table>
 *
 * <p>A device is in the <em>lowest</em> class whose two limits it is both under. So a device that is low on
 * one axis and high on the other takes the higher of the two axes' classes: 256 KiB of RAM at 600 MHz is
 * {@code low} (the clock is too fast for ultra_low), and 8 GiB of RAM at 1.2 GHz is {@code high} (the RAM
 * is too large for medium). The RAM limits are binary units because RAM is sold in binary sizes: a board
 * sold as "4 GB" has 4 GiB and is therefore not under the 4 GiB limit of {@code medium}.
 *
 * <p>RAM here is {@link DeviceProfile#ramBytes()}, the main (on-chip or on-board) memory; a
 * microcontroller's external PSRAM is not counted. If the clock is unknown (only possible for a profile
 * measured on this machine when the OS does not report it), the class is decided by RAM alone.
 */
public enum ResourceClass {
    ULTRA_LOW(100L << 20, 500),
    LOW(1L << 30, 1000),
    MEDIUM(4L << 30, 2000),
    HIGH(Long.MAX_VALUE, Integer.MAX_VALUE);

    private final long ramUnderBytes;
    private final int clockUnderMhz;

    ResourceClass(long ramUnderBytes, int clockUnderMhz) {
        this.ramUnderBytes = ramUnderBytes;
        this.clockUnderMhz = clockUnderMhz;
    }

    /** RAM a device must be under (exclusive) to be in this class; {@link Long#MAX_VALUE} for HIGH. */
    public long ramUnderBytes() {
        return ramUnderBytes;
    }

    /** Clock a device must be under (exclusive) to be in this class; {@link Integer#MAX_VALUE} for HIGH. */
    public int clockUnderMhz() {
        return clockUnderMhz;
    }

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The lowest class whose RAM and clock limits the device is both under.
     *
     * @param clockMhz the fastest core's clock, or null when unknown (then RAM alone decides)
     */
    public static ResourceClass of(long ramBytes, Integer clockMhz) {
        for (ResourceClass c : values()) {
            boolean ramUnder = c == HIGH || ramBytes < c.ramUnderBytes;
            boolean clockUnder = c == HIGH || clockMhz == null || clockMhz < c.clockUnderMhz;
            if (ramUnder && clockUnder) {
                return c;
            }
        }
        return HIGH;
    }
}
