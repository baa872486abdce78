package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** NDArray <-> little-endian row-major bytes, shared by Safetensors and TensorCodec. */
final class TensorBytes {

    private TensorBytes() {
    }

    /** Bytes per element of the dtypes Troupe stores (F32, F64, I32, I64, U8, BOOL). */
    static int elementSize(DataType type) {
        switch (type) {
            case FLOAT32:
            case INT32:
                return 4;
            case FLOAT64:
            case INT64:
                return 8;
            case UINT8:
            case BOOLEAN:
                return 1;
            default:
                throw new IllegalArgumentException("unsupported dtype " + type);
        }
    }

    /** Number of bytes the array's data takes, checked against int overflow. */
    static long byteLength(Shape shape, DataType type) {
        return Math.multiplyExact(shape.size(), (long) elementSize(type));
    }

    /** Row-major little-endian copy of the data (works for non-contiguous views and arrays with gradients). */
    static byte[] toBytes(NDArray array) {
        elementSize(array.getDataType());
        requireLittleEndianHost();
        // DJL hands out data in native order; on a little-endian host that is exactly the wire format.
        return array.toByteArray();
    }

    /** A new array owned by manager, from little-endian bytes (data.remaining() must match shape and dtype). */
    static NDArray fromBytes(NDManager manager, ByteBuffer data, Shape shape, DataType type) {
        requireLittleEndianHost();
        long expected = byteLength(shape, type);
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("data has " + data.remaining() + " bytes, shape " + shape + " of "
                    + type + " needs " + expected);
        }
        if (expected == 0) {
            return manager.zeros(shape, type);
        }
        ByteBuffer direct = data;
        if (!data.isDirect()) {
            // The engine copies from native memory; a heap buffer would be copied once more inside DJL anyway.
            direct = ByteBuffer.allocateDirect(data.remaining());
            direct.put(data.duplicate());
            direct.flip();
        }
        return manager.create(direct.order(ByteOrder.nativeOrder()), shape, type);
    }

    private static void requireLittleEndianHost() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("tensor serialization assumes a little-endian host");
        }
    }
}
