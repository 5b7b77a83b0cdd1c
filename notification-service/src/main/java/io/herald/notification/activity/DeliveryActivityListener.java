package io.herald.notification.activity;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliveryRead;
import io.herald.events.v1.DeliverySent;
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
 * dropped by its id. Other statuses ({@code ContactPointInvalid}) are not activity.
 */
@Component
class DeliveryActivityListener {

  static final String ID = "notification-activity";

  private final DataSource dataSource;
  private final ActivityStore store;
  private final DeadLetters deadLetters;
  private final MeterRegistry meters;

  DeliveryActivityListener(
      DataSource dataSource, ActivityStore store, DeadLetters deadLetters, MeterRegistry meters) {
    this.dataSource = dataSource;
    this.store = store;
    this.deadLetters = deadLetters;
    this.meters = meters;
  }

  @KafkaListener(
      id = ID,
      topics = TopicCatalog.Names.NOTIFICATION_DELIVERY_STATUS,
      groupId = "notification-activity",
      containerFactory = "fanOutListenerFactory")
  void onDeliveryStatus(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer)
      throws SQLException {
    List<ActivityStore.Event> events = new ArrayList<>(records.size());
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(record, consumer, Object.class, false, DeliveryActivityListener::event)
          .flatMap(e -> e)
          .ifPresent(events::add);
    }
    if (events.isEmpty()) {
      return;
    }
    try (Connection connection = dataSource.getConnection()) {
      store.insertEvents(connection, events);
      connection.commit();
    }
    meters.counter("herald.notification.activity.recorded").increment(events.size());
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
