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

    /** Rows [from, to) of a tensor along its first axis, without decoding the elements. */
    public static Tensor sliceRows(Tensor tensor, int from, int to) {
        long rows = tensor.getShape(0);
        if (from < 0 || to > rows || from > to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") outside a tensor of " + rows + " rows");
        }
        int rowBytes = rows == 0 ? 0 : Math.toIntExact(tensor.getData().size() / rows);
        return tensor.toBuilder().setShape(0, to - from)
                .setData(tensor.getData().substring(from * rowBytes, to * rowBytes)).build();
    }

    /** Tensors of equal dtype and trailing shape joined along the first axis, without decoding the elements. */
    public static Tensor concatRows(List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        Tensor first = parts.get(0);
        long rows = 0;
        ByteString data = ByteString.EMPTY;
        for (Tensor t : parts) {
            if (t.getDtype() != first.getDtype()
                    || !t.getShapeList().subList(1, t.getShapeCount()).equals(
                            first.getShapeList().subList(1, first.getShapeCount()))) {
                throw new IllegalArgumentException("cannot join a " + t.getDtype() + " " + t.getShapeList()
                        + " tensor to a " + first.getDtype() + " " + first.getShapeList() + " one");
            }
            rows += t.getShape(0);
            data = data.concat(t.getData());
        }
        return first.toBuilder().setShape(0, rows).setData(data).build();
    }

    /** The element types both sides know, in one table read both ways. */
    private static final Map<DataType, Tensor.DType> TYPES = Map.of(
            DataType.FLOAT32, Tensor.DType.FLOAT32,
            DataType.FLOAT64, Tensor.DType.FLOAT64,
            DataType.INT32, Tensor.DType.INT32,
            DataType.INT64, Tensor.DType.INT64,
            DataType.UINT8, Tensor.DType.UINT8,
            DataType.BOOLEAN, Tensor.DType.BOOL);

    private static Tensor.DType protoType(DataType type) {
        Tensor.DType proto = TYPES.get(type);
        if (proto == null) {
            throw new IllegalArgumentException("unsupported dtype " + type);
        }
        return proto;
    }

    private static DataType djlType(Tensor.DType type) {
        for (Map.Entry<DataType, Tensor.DType> e : TYPES.entrySet()) {
            if (e.getValue() == type) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException("unsupported tensor dtype " + type);
    }
}
