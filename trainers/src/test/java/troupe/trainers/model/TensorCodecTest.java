package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import troupe.v1.NamedTensor;
import troupe.v1.Tensor;

class TensorCodecTest {

    /** One array of every supported dtype, including edge values, a scalar and an empty tensor. */
    static LinkedHashMap<String, NDArray> samples(NDManager manager) {
        LinkedHashMap<String, NDArray> arrays = new LinkedHashMap<>();
        arrays.put("f32", manager.create(new float[] {1.5f, -0f, Float.NaN, Float.MAX_VALUE, Float.MIN_VALUE,
            Float.NEGATIVE_INFINITY}, new Shape(2, 3)));
        arrays.put("f64", manager.create(new double[] {Math.PI, -1e300, Double.MIN_VALUE}, new Shape(3)));
        arrays.put("i32", manager.create(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}, new Shape(2, 1, 2)));
        arrays.put("i64", manager.create(new long[] {Long.MIN_VALUE, 42L, Long.MAX_VALUE}, new Shape(3, 1)));
        arrays.put("u8", manager.create(ByteBuffer.wrap(new byte[] {0, 1, (byte) 200, (byte) 255}), new Shape(4),
                DataType.UINT8));
        arrays.put("bool", manager.create(new boolean[] {true, false, true}, new Shape(3)));
        arrays.put("scalar", manager.create(3.25f));
        arrays.put("empty", manager.zeros(new Shape(0, 4)));
        // A transposed view is not contiguous: serialization must still be row-major of the logical shape.
        arrays.put("transposed", manager.arange(6f).reshape(2, 3).transpose());
        return arrays;
    }

    static void assertBitExact(NDArray expected, NDArray actual, String name) {
        assertEquals(expected.getDataType(), actual.getDataType(), name);
        assertEquals(expected.getShape(), actual.getShape(), name);
        assertArrayEquals(expected.toByteArray(), actual.toByteArray(), name);
    }

    @Test
    void roundTripIsBitExact() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LinkedHashMap<String, NDArray> arrays = samples(manager);
            List<NamedTensor> wire = TensorCodec.toProto(arrays);
            assertEquals(List.copyOf(arrays.keySet()), wire.stream().map(NamedTensor::getName).toList());
            LinkedHashMap<String, NDArray> back = TensorCodec.fromProto(wire, manager);
            assertEquals(List.copyOf(arrays.keySet()), List.copyOf(back.keySet()));
            for (Map.Entry<String, NDArray> entry : arrays.entrySet()) {
                assertBitExact(entry.getValue(), back.get(entry.getKey()), entry.getKey());
            }
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, back.get("transposed").toFloatArray());
            Tensor i64 = TensorCodec.toProto(arrays.get("i64"));
            assertEquals(Tensor.DType.INT64, i64.getDtype());
            assertEquals(List.of(3L, 1L), i64.getShapeList());
            // little-endian: 42 sits in the low byte of the second element
            assertEquals(42, i64.getData().byteAt(8));
        }
    }

    @Test
    void rejectsWrongDataLength() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Tensor good = TensorCodec.toProto(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)));
            Tensor shortData = good.toBuilder().setData(good.getData().substring(0, 12)).build();
            assertThrows(IllegalArgumentException.class, () -> TensorCodec.fromProto(shortData, manager));
            Tensor wrongShape = good.toBuilder().addShape(2).build();
            assertThrows(IllegalArgumentException.class, () -> TensorCodec.fromProto(wrongShape, manager));
            Tensor noType = good.toBuilder().setDtype(Tensor.DType.DTYPE_UNSPECIFIED).build();
            assertThrows(IllegalArgumentException.class, () -> TensorCodec.fromProto(noType, manager));
            Tensor negative = Tensor.newBuilder().setDtype(Tensor.DType.INT32).addShape(-1).setData(ByteString.EMPTY)
                    .build();
            assertThrows(IllegalArgumentException.class, () -> TensorCodec.fromProto(negative, manager));
            NamedTensor named = NamedTensor.newBuilder().setName("w").setTensor(shortData).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorCodec.fromProto(List.of(named), manager));
            assertEquals(true, e.getMessage().contains("'w'"));
        }
    }

    @Test
    void rowsSliceAndJoinWithoutDecoding() {
        try (NDManager m = NDManager.newBaseManager()) {
            Tensor all = TensorCodec.toProto(m.arange(24f).reshape(4, 3, 2));
            Tensor top = TensorCodec.sliceRows(all, 0, 1);
            Tensor rest = TensorCodec.sliceRows(all, 1, 4);
            assertEquals(List.of(1L, 3L, 2L), top.getShapeList());
            assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11},
                    TensorCodec.fromProto(TensorCodec.sliceRows(all, 1, 2), m).toFloatArray());
            assertEquals(all, TensorCodec.concatRows(List.of(top, rest)));
            assertThrows(IllegalArgumentException.class, () -> TensorCodec.sliceRows(all, 2, 5));
            Tensor other = TensorCodec.toProto(m.arange(4f).reshape(1, 4));
            var e = assertThrows(IllegalArgumentException.class, () -> TensorCodec.concatRows(List.of(top, other)));
            assertTrue(e.getMessage().contains("cannot join"), e.getMessage());
        }
    }
}
