package io.herald.notification.inbox;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.InboxItemArchived;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.InboxItemUnarchived;
import io.herald.events.v1.InboxItemsRead;
import io.herald.events.v1.InboxItemsSeen;
import io.herald.events.v1.InboxItemsUnread;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.SerializationUtils;
import org.springframework.stereotype.Component;

/**
 * Feeds this instance's SSE streams from {@code notification.inbox.v1}: new items and the users'
 * changes (read, unread, seen, archived, unarchived). Each instance reads every partition in a
 * consumer group of its own, from the end: the stream is live, the list is the record.
 */
@Component
class InboxEventsListener implements ConsumerSeekAware {

  private static final LogAccessor LOG = new LogAccessor(InboxEventsListener.class);

  private final InboxBroadcaster broadcaster;
  private final AtomicBoolean assigned = new AtomicBoolean();

  InboxEventsListener(InboxBroadcaster broadcaster) {
    this.broadcaster = broadcaster;
  }

  /**
   * A poll's events, in order. A batch listener, so that an event costs the streams' own work and
   * no per-record listener observation: this listener reads every inbox event of the tenant's users
   * on every instance. A record that cannot be read stops the batch there; the error handler
   * dead-letters it and the events after it are polled again.
   */
  @KafkaListener(
      id = "inbox-stream",
      topics = TopicCatalog.Names.NOTIFICATION_INBOX,
      groupId = "notification-inbox-stream-${random.uuid}",
      batch = "true",
      properties = "auto.offset.reset=latest")
  void onInboxEvents(List<ConsumerRecord<String, Object>> records) {
    for (int i = 0; i < records.size(); i++) {
      ConsumerRecord<String, Object> record = records.get(i);
      DeserializationException failure =
          SerializationUtils.getExceptionFromHeader(
              record, SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER, LOG);
      if (failure != null) {
        throw new BatchListenerFailedException(failure.getMessage(), failure, i);
      }
      onInboxEvent(record.value());
    }
  }

  private void onInboxEvent(Object value) {
    if (value instanceof InboxItemsRead e) {
      change(
          e.getTenantId(),
          e.getUserId(),
          "inbox-read",
          e.getEventId(),
          e.getItemIds(),
          e.getOccurredAt(),
          null,
          e.getSequence());
    } else if (value instanceof InboxItemsUnread e) {
      change(
          e.getTenantId(),
          e.getUserId(),
          "inbox-unread",
          e.getEventId(),
          e.getItemIds(),
          e.getOccurredAt(),
          null,
          e.getSequence());
    } else if (value instanceof InboxItemsSeen e) {
      change(
          e.getTenantId(),
          e.getUserId(),
          "inbox-seen",
          e.getEventId(),
          e.getItemIds(),
          e.getOccurredAt(),
          e.getSeenUpTo(),
          e.getSequence());
    } else if (value instanceof InboxItemArchived e) {
      change(
          e.getTenantId(),
          e.getUserId(),
          "inbox-archived",
          e.getEventId(),
          List.of(e.getItemId()),
          e.getOccurredAt(),
          null,
          e.getSequence());
    } else if (value instanceof InboxItemUnarchived e) {
      change(
          e.getTenantId(),
          e.getUserId(),
          "inbox-unarchived",
          e.getEventId(),
          List.of(e.getItemId()),
          e.getOccurredAt(),
          null,
          e.getSequence());
    } else if (value instanceof InboxItemCreated created) {
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
              null),
          created.getSequence());
    }
  }

  private void change(
      String tenantId,
      String userId,
      String event,
      String eventId,
      List<String> itemIds,
      Instant at,
      Instant seenUpTo,
      Long sequence) {
    broadcaster.publish(
        tenantId,
        userId,
        new InboxBroadcaster.StreamEvent(
            event,
            eventId,
            sequence,
            new InboxBroadcaster.Change(List.copyOf(itemIds), at, seenUpTo)));
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
