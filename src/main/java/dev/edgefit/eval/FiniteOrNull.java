package dev.edgefit.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;

/**
 * Writes a number that is not finite as JSON null (an infinite SQNR means identical outputs; JSON has no infinity), so
 * that every JSON document EdgeFit writes stays plain JSON.
 */
public final class FiniteOrNull extends StdSerializer<Double> {
    public FiniteOrNull() {
        super(Double.class);
    }

    @Override
    public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
        if (value == null || !Double.isFinite(value)) {
            gen.writeNull();
        } else {
            gen.writeNumber(value);
        }
    }
}
