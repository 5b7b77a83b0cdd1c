package io.herald.support.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group has got on a topic, seen from outside through the admin API: what
 * benchmarks and resilience tests wait on instead of fixed pauses.
 *
 * <p>Example: {@code ConsumerGroupProgress.caughtUp(admin, "notification-service",
 * ConsumerGroupProgress.endOffsets(admin, topic), 0)}.
 */
public final class ConsumerGroupProgress {

  private ConsumerGroupProgress() {}

  /** The end offset of every partition of the topic, now. */
  public static Map<TopicPartition, Long> endOffsets(AdminClient admin, String topic)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    admin
        .describeTopics(List.of(topic))
        .allTopicNames()
        .get()
        .get(topic)
        .partitions()
        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
    return ends;
  }

  /**
   * True when the group has committed offsets at or past {@code targets} less {@code markerSlack}
   * on every partition. On a topic written in transactions the last record is followed by a commit
   * marker that a consumer's committed offset need not pass: use a slack of 1 there, 0 elsewhere.
   */
  public static boolean caughtUp(
      AdminClient admin, String group, Map<TopicPartition, Long> targets, int markerSlack)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return targets.entrySet().stream()
        .allMatch(
            e -> {
              OffsetAndMetadata c = committed.get(e.getKey());
              return e.getValue() == 0 || (c != null && c.offset() >= e.getValue() - markerSlack);
            });
  }
}
