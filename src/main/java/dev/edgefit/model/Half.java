package dev.edgefit.model;

/** IEEE 754 half precision conversions (Java 17 has none; Float.float16ToFloat arrived in Java 20). */
public final class Half {
    private Half() {
    }

    public static float toFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal: normalise
            float v = mant / 1024f * (1f / 16384f);
            return sign == 0 ? v : -v;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Round-to-nearest-even conversion, with overflow to infinity and gradual underflow. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int val = bits & 0x7FFFFFFF;
        if (val >= 0x7F800000) {
            return (short) (sign | 0x7C00 | (val > 0x7F800000 ? 0x200 : 0));
        }
        if (val >= 0x477FF000) {
            return (short) (sign | 0x7C00);
        }
        if (val < 0x38800000) {
            // subnormal or zero in half precision: value = m * 2^-24, m rounded half to even
            int m = (int) Math.rint(Float.intBitsToFloat(val) * 16777216.0);
            return (short) (sign | m);
        }
        int exp = ((val >>> 23) - 127 + 15);
        int mant = val & 0x7FFFFF;
        int h = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
            h++;
        }
        return (short) (sign | h);
    }
}
