package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import troupe.v1.NamedTensor;
import troupe.v1.Tensor;

/** NDArray <-> protobuf troupe.v1.Tensor (little-endian, row-major bytes). */
public final class TensorCodec {

    private TensorCodec() {
    }

    public static Tensor toProto(NDArray array) {
        Tensor.Builder builder = Tensor.newBuilder().setDtype(protoType(array.getDataType()));
        for (long dim : array.getShape().getShape()) {
            builder.addShape(dim);
        }
        return builder.setData(ByteString.copyFrom(TensorBytes.toBytes(array))).build();
    }

    /** Throws IllegalArgumentException for an unknown dtype, a negative dimension or a wrong data length. */
    public static NDArray fromProto(Tensor tensor, NDManager manager) {
        DataType type = djlType(tensor.getDtype());
        long[] dims = new long[tensor.getShapeCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = tensor.getShape(i);
            if (dims[i] < 0) {
                throw new IllegalArgumentException("tensor shape has negative dimension " + dims[i] + " at axis " + i);
            }
        }
        return TensorBytes.fromBytes(manager, tensor.getData().asReadOnlyByteBuffer(), new Shape(dims), type);
    }

    /** Named tensors in the map's iteration order. */
    public static List<NamedTensor> toProto(Map<String, NDArray> arrays) {
        List<NamedTensor> out = new ArrayList<>(arrays.size());
        for (Map.Entry<String, NDArray> entry : arrays.entrySet()) {
            out.add(NamedTensor.newBuilder().setName(entry.getKey()).setTensor(toProto(entry.getValue())).build());
        }
        return out;
    }

    /** Arrays in list order; a repeated name is rejected rather than silently overwritten. */
    public static LinkedHashMap<String, NDArray> fromProto(List<NamedTensor> tensors, NDManager manager) {
        LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
        for (NamedTensor named : tensors) {
            if (out.containsKey(named.getName())) {
                throw new IllegalArgumentException("tensor '" + named.getName() + "' appears twice");
            }
            try {
                out.put(named.getName(), fromProto(named.getTensor(), manager));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tensor '" + named.getName() + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static Tensor.DType protoType(DataType type) {
        switch (type) {
            case FLOAT32:
                return Tensor.DType.FLOAT32;
            case FLOAT64:
                return Tensor.DType.FLOAT64;
            case INT32:
                return Tensor.DType.INT32;
            case INT64:
                return Tensor.DType.INT64;
            case UINT8:
                return Tensor.DType.UINT8;
            case BOOLEAN:
                return Tensor.DType.BOOL;
            default:
                throw new IllegalArgumentException("unsupported dtype " + type);
        }
    }

    private static DataType djlType(Tensor.DType type) {
        switch (type) {
            case FLOAT32:
                return DataType.FLOAT32;
            case FLOAT64:
                return DataType.FLOAT64;
            case INT32:
                return DataType.INT32;
            case INT64:
                return DataType.INT64;
            case UINT8:
                return DataType.UINT8;
            case BOOL:
                return DataType.BOOLEAN;
            default:
                throw new IllegalArgumentException("unsupported tensor dtype " + type);
        }
    }
}
