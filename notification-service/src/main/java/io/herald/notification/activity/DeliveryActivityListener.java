package io.herald.notification.activity;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliveryRead;
import io.herald.events.v1.DeliverySent;
import io.herald.notification.scheduling.ScheduledNotifications;
import io.herald.support.kafka.DeadLetters;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Records what the channel workers report on {@code notification.delivery-status.v1} as delivery
 * activity: sent (with the provider and its message id), delivered, read, failed with the reason
 * and attempt (retried), and dead-lettered (a final failure: the worker gave up or the provider
 * refused for good). One multi-row insert per batch, then the offsets; a redelivered event is
 * dropped by its id. Other statuses ({@code ContactPointInvalid}) are not activity. In the same
 * transaction, the statuses move fallback chains on: see {@link
 * ScheduledNotifications#stopFallbacks} and {@link ScheduledNotifications#advanceFallbacks}.
 */
@Component
class DeliveryActivityListener {

  static final String ID = "notification-activity";

  private final DataSource dataSource;
  private final ActivityStore store;
  private final DeadLetters deadLetters;
  private final MeterRegistry meters;
  private final ScheduledNotifications scheduled;

  DeliveryActivityListener(
      DataSource dataSource,
      ActivityStore store,
      DeadLetters deadLetters,
      MeterRegistry meters,
      ScheduledNotifications scheduled) {
    this.dataSource = dataSource;
    this.store = store;
    this.deadLetters = deadLetters;
    this.meters = meters;
    this.scheduled = scheduled;
  }

  @KafkaListener(
      id = ID,
      topics = TopicCatalog.Names.NOTIFICATION_DELIVERY_STATUS,
      groupId = "notification-activity",
      containerFactory = "fanOutListenerFactory")
  void onDeliveryStatus(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer)
      throws SQLException {
    List<ActivityStore.Event> events = new ArrayList<>(records.size());
    List<ScheduledNotifications.Step> succeeded = new ArrayList<>();
    List<ScheduledNotifications.Step> failed = new ArrayList<>();
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(
              record,
              consumer,
              Object.class,
              false,
              value -> {
                fallbackStep(value, succeeded, failed);
                return event(value);
              })
          .flatMap(e -> e)
          .ifPresent(events::add);
    }
    if (events.isEmpty() && succeeded.isEmpty() && failed.isEmpty()) {
      return;
    }
    try (Connection connection = dataSource.getConnection()) {
      store.insertEvents(connection, events);
      // Fallback chains: a step delivered or read stops the rest; one failed for good (or whose
      // contact point is invalid) brings the next step forward.
      scheduled.stopFallbacks(connection, succeeded, "delivered");
      scheduled.advanceFallbacks(connection, failed);
      connection.commit();
    }
    meters.counter("herald.notification.activity.recorded").increment(events.size());
  }

  /** What a status means for a fallback chain the delivery may be a step of. */
  private static void fallbackStep(
      Object value,
      List<ScheduledNotifications.Step> succeeded,
      List<ScheduledNotifications.Step> failed) {
    if (value instanceof DeliveryDelivered d) {
      succeeded.add(
          new ScheduledNotifications.Step(
              d.getTenantId(), d.getNotificationId(), d.getUserId(), d.getChannel()));
    } else if (value instanceof DeliveryRead r) {
      succeeded.add(
          new ScheduledNotifications.Step(
              r.getTenantId(), r.getNotificationId(), r.getUserId(), r.getChannel()));
    } else if (value instanceof DeliveryFailed f && f.getFinal$()) {
      failed.add(
          new ScheduledNotifications.Step(
              f.getTenantId(), f.getNotificationId(), f.getUserId(), f.getChannel()));
    } else if (value instanceof ContactPointInvalid c) {
      failed.add(
          new ScheduledNotifications.Step(
              c.getTenantId(), c.getNotificationId(), c.getUserId(), c.getChannel()));
    }
  }

  /** The activity event a status stands for, if it stands for one. */
  static Optional<ActivityStore.Event> event(Object value) {
    if (value instanceof DeliverySent s) {
      return Optional.of(
          new ActivityStore.Event(
              s.getEventId(),
              s.getTenantId(),
              s.getNotificationId(),
              s.getUserId(),
              s.getChannel().name(),
              s.getDeliveryId(),
              "SENT",
              false,
              null,
              s.getProvider(),
              s.getProviderMessageId(),
              s.getAttempt(),
              s.getOccurredAt()));
    }
    if (value instanceof DeliveryFailed f) {
      // A final failure is the one the worker dead-letters; any other is retried.
      return Optional.of(
          new ActivityStore.Event(
              f.getEventId(),
              f.getTenantId(),
              f.getNotificationId(),
              f.getUserId(),
              f.getChannel().name(),
              f.getDeliveryId(),
              f.getFinal$() ? "DEAD_LETTERED" : "FAILED",
              f.getFinal$(),
              f.getErrorCode() + ": " + f.getReason(),
              null,
              null,
              f.getAttempt(),
              f.getOccurredAt()));
    }
    if (value instanceof DeliveryDelivered d) {
      return Optional.of(
          new ActivityStore.Event(
              d.getEventId(),
              d.getTenantId(),
              d.getNotificationId(),
              d.getUserId(),
              d.getChannel().name(),
              d.getDeliveryId(),
              "DELIVERED",
              false,
              null,
              null,
              d.getProviderMessageId(),
              null,
              d.getOccurredAt()));
    }
    if (value instanceof DeliveryRead r) {
      return Optional.of(
          new ActivityStore.Event(
              r.getEventId(),
              r.getTenantId(),
              r.getNotificationId(),
              r.getUserId(),
              r.getChannel().name(),
              r.getDeliveryId(),
              "READ",
              false,
              null,
              null,
              null,
              null,
              r.getOccurredAt()));
    }
    return Optional.empty();
  }
}
