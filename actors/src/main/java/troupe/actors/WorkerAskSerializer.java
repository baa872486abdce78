package troupe.actors;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * Binary form of {@link WorkerAsk} across nodes: the reply-to actor's serialized path, then the protobuf request.
 * (Pekko's built-in protobuf serializer handles the plain protobuf responses.)
 */
public final class WorkerAskSerializer extends SerializerWithStringManifest {
  private static final String MANIFEST = "WorkerAsk/v1";
  private final ActorRefResolver resolver;

  public WorkerAskSerializer(ExtendedActorSystem system) {
    this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
  }

  @Override
  public int identifier() {
    return 917_001;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    WorkerAsk ask = (WorkerAsk) o;
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(ask.request().getSerializedSize() + 128);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeUTF(resolver.toSerializationFormat(ask.replyTo()));
      ask.request().writeTo(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize WorkerAsk", e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("unknown manifest " + manifest + "; this node understands " + MANIFEST);
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      ActorRef<WorkerResponse> replyTo = resolver.resolveActorRef(in.readUTF());
      return new WorkerAsk(WorkerRequest.parseFrom(in), replyTo);
    } catch (InvalidProtocolBufferException e) {
      throw new NotSerializableException("corrupt WorkerAsk request: " + e.getMessage());
    } catch (IOException e) {
      throw new NotSerializableException("corrupt WorkerAsk: " + e.getMessage());
    }
  }
}
