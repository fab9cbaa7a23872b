package dev.edgefit.runtime;

import dev.edgefit.model.DType;

import java.util.Arrays;

/**
 * A dense tensor value passed to or returned by a runner. Data is a Java array matching the type:
 * float[] for FLOAT, double[] for DOUBLE, short[] (the bits) for FLOAT16, long[] for INT64, int[] for INT32, byte[] for
 * INT8/UINT8/BOOL.
 */
public record Tensor(DType dtype, long[] shape, Object data) {
    public Tensor {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        int len = java.lang.reflect.Array.getLength(data);
        if (len != n) {
            throw new IllegalArgumentException("tensor data has " + len + " elements, shape " + Arrays.toString(shape) + " needs " + n);
        }
    }

    public static Tensor of(float[] data, long... shape) {
        return new Tensor(DType.FLOAT, shape, data);
    }

    public static Tensor of(long[] data, long... shape) {
        return new Tensor(DType.INT64, shape, data);
    }

    public static Tensor of(int[] data, long... shape) {
        return new Tensor(DType.INT32, shape, data);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int size() {
        return java.lang.reflect.Array.getLength(data);
    }

    /** Values as floats, converting from integer types where needed. */
    public float[] floats() {
        if (data instanceof float[] f) {
            return f;
        }
        int n = size();
        float[] out = new float[n];
        if (data instanceof long[] l) {
            for (int i = 0; i < n; i++) {
                out[i] = l[i];
            }
        } else if (data instanceof int[] a) {
            for (int i = 0; i < n; i++) {
                out[i] = a[i];
            }
        } else if (data instanceof byte[] b) {
            boolean unsigned = dtype == DType.UINT8 || dtype == DType.BOOL;
            for (int i = 0; i < n; i++) {
                out[i] = unsigned ? (b[i] & 0xFF) : b[i];
            }
        } else if (data instanceof short[] h && dtype == DType.FLOAT16) {
            for (int i = 0; i < n; i++) {
                out[i] = dev.edgefit.model.Half.toFloat(h[i]);
            }
        } else if (data instanceof double[] d) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) d[i];
            }
        } else {
            throw new IllegalStateException("cannot read " + dtype.label() + " as float");
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && java.util.Objects.deepEquals(new Object[] {t.data}, new Object[] {data});
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shape) * 31 + dtype.hashCode();
    }

    @Override
    public String toString() {
        return dtype.label() + Arrays.toString(shape);
    }
}
