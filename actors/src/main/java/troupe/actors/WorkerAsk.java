package troupe.actors;

import org.apache.pekko.actor.typed.ActorRef;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/** The one command every worker accepts: a protobuf request and where to send the protobuf response. */
public record WorkerAsk(WorkerRequest request, ActorRef<WorkerResponse> replyTo) {}
