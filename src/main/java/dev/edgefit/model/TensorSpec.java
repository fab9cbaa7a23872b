package dev.edgefit.model;

import java.util.Arrays;
import java.util.List;

/**
 * Name, element type and shape of a graph input or output. A dynamic dimension is -1 and keeps its
 * symbolic name (e.g. "batch") in {@link #dimNames()} where the model gives one.
 */
public record TensorSpec(String name, DType dtype, long[] shape, List<String> dimNames) {
    public TensorSpec {
        shape = shape.clone();
        dimNames = List.copyOf(dimNames);
    }

    public boolean isDynamic(int axis) {
        return shape[axis] < 0;
    }

    /** Shape as users read it: 1x3x224x224, with symbolic names for dynamic dimensions. */
    public String shapeText() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            if (shape[i] >= 0) {
                sb.append(shape[i]);
            } else {
                String n = i < dimNames.size() ? dimNames.get(i) : "";
                sb.append(n == null || n.isEmpty() ? "?" : n);
            }
        }
        return sb.toString();
    }

    /** As JSON output shows it: name, dtype, shape (-1 for dynamic) and shapeText. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> j = new java.util.LinkedHashMap<>();
        j.put("name", name);
        j.put("shape", shape.clone());
        j.put("shapeText", shapeText());
        j.put("dtype", dtype.label());
        return j;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && t.dtype == dtype
                && Arrays.equals(t.shape, shape) && t.dimNames.equals(dimNames);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ":" + dtype.label() + "[" + shapeText() + "]";
    }
}
