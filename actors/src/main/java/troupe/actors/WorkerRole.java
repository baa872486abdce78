package troupe.actors;

import java.util.List;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** The worker roles and the Receptionist key each registers under. */
public enum WorkerRole {
  POLICY("policy"),
  REFERENCE("reference"),
  ROLLOUT("rollout"),
  REWARD("reward"),
  CRITIC("critic");

  public final String wireName;
  public final ServiceKey<WorkerAsk> key;

  WorkerRole(String wireName) {
    this.wireName = wireName;
    this.key = ServiceKey.create(WorkerAsk.class, "troupe-" + wireName);
  }

  public static WorkerRole fromName(String name) {
    for (WorkerRole r : values()) {
      if (r.wireName.equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role \"" + name + "\"; allowed: " + String.join(", ", names()));
  }

  public static List<String> names() {
    return java.util.Arrays.stream(values()).map(r -> r.wireName).toList();
  }

}
