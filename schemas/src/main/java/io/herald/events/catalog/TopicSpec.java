package io.herald.events.catalog;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * One topic of the catalog.
 *
 * <p>Example: {@code new TopicSpec("notification.requests.v1", KeyType.REQUEST_ID,
 * List.of(NotificationRequested.class), 3, Duration.ofDays(7), CleanupPolicy.DELETE,
 * Owner.GATEWAY_SERVICE)}.
 *
 * @param name the topic name, a contract
 * @param keyType what the record key holds (always a string)
 * @param valueTypes the Avro records the topic carries
 * @param partitions partitions to create
 * @param retention how long records are kept; {@link #FOREVER} for no time limit
 * @param cleanupPolicy Kafka's {@code cleanup.policy}
 * @param owner the service that declares the topic
 */
public record TopicSpec(
    String name,
    KeyType keyType,
    List<Class<? extends SpecificRecord>> valueTypes,
    int partitions,
    Duration retention,
    CleanupPolicy cleanupPolicy,
    Owner owner) {

  /** No time limit on retention ({@code retention.ms=-1}), e.g. for a compacted topic. */
  public static final Duration FOREVER = Duration.ofMillis(-1);

  public TopicSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keyType, "keyType");
    valueTypes = List.copyOf(valueTypes);
    if (valueTypes.isEmpty()) {
      throw new IllegalArgumentException("topic " + name + " needs at least one value type");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + " needs at least one partition");
    }
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
    Objects.requireNonNull(owner, "owner");
  }

  /** The dead-letter topic, following spring-kafka's naming. */
  public String deadLetterTopic() {
    return name + "-dlt";
  }

  public boolean carries(Class<?> valueType) {
    return valueTypes.contains(valueType);
  }
}
