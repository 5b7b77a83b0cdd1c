package io.herald.notification.inbox;

import io.herald.events.v1.InboxItemCreated;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;

/**
 * Feeds this instance's SSE streams from {@code notification.inbox.v1}. Each instance reads every
 * partition in a consumer group of its own, from the end: the stream is live, the list is the
 * record.
 */
@Component
class InboxEventsListener implements ConsumerSeekAware {

  private final InboxBroadcaster broadcaster;
  private final AtomicBoolean assigned = new AtomicBoolean();

  InboxEventsListener(InboxBroadcaster broadcaster) {
    this.broadcaster = broadcaster;
  }

  @KafkaListener(
      id = "inbox-stream",
      topics = "notification.inbox.v1",
      groupId = "notification-inbox-stream-${random.uuid}",
      properties = "auto.offset.reset=latest")
  void onInboxEvent(ConsumerRecord<String, Object> record) {
    if (record.value() instanceof InboxItemCreated created) {
      broadcaster.publish(
          created.getTenantId(),
          created.getUserId(),
          new InboxItem(
              created.getItemId(),
              created.getNotificationId(),
              created.getCategory(),
              created.getTitle(),
              created.getBody(),
              new HashMap<>(created.getData()),
              created.getCreatedAt(),
              null));
    }
  }

  @Override
  public void onPartitionsAssigned(
      Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
    callback.seekToEnd(assignments.keySet());
    assigned.set(true);
  }

  /** True once the listener reads the topic, so that items stored from now on stream live. */
  boolean isAssigned() {
    return assigned.get();
  }
}
