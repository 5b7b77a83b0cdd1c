package io.herald.notification.subscribers;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.notification.fanout.FanOutKafka;
import io.herald.notification.subscribers.SubscriberStore.Removal;
import io.herald.support.kafka.DeadLetters;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Drops contact points that providers reported invalid for good ({@link ContactPointInvalid} on
 * {@code notification.delivery-status.v1}): a bounced address, an unknown number, an unregistered
 * push token. Only that contact point goes, not the subscriber: it is removed from the store, and
 * the updated profile is written to {@code notification.subscribers.v1} in this batch's Kafka
 * transaction so that the topic stays the record. Other delivery statuses are not this listener's
 * business.
 */
@Component
class ContactPointsListener {

  private static final Logger log = LoggerFactory.getLogger(ContactPointsListener.class);

  private final DataSource dataSource;
  private final SubscriberStore store;
  private final DeadLetters deadLetters;
  private final FanOutKafka kafka;
  private final MeterRegistry meters;
  private final Clock clock = Clock.systemUTC();

  ContactPointsListener(
      DataSource dataSource,
      SubscriberStore store,
      DeadLetters deadLetters,
      FanOutKafka kafka,
      MeterRegistry meters) {
    this.dataSource = dataSource;
    this.store = store;
    this.deadLetters = deadLetters;
    this.kafka = kafka;
    this.meters = meters;
  }

  @KafkaListener(
      id = "notification-contact-points",
      topics = TopicCatalog.Names.NOTIFICATION_DELIVERY_STATUS,
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory")
  void onDeliveryStatus(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer)
      throws SQLException, InterruptedException {
    List<ContactPointInvalid> invalid = new ArrayList<>();
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(record, consumer, Object.class, false, value -> value)
          .ifPresent(
              value -> {
                if (value instanceof ContactPointInvalid c) {
                  invalid.add(c);
                }
              });
    }
    if (invalid.isEmpty()) {
      return;
    }
    // Removed in the store first, so that a later batch reads profiles without them; the updated
    // profiles then go to the subscriber topic, which stays the record (applying them again
    // changes nothing). Profiles of one key are published in order, each with every removal so far.
    Map<String, SubscriberProfile> profiles;
    try (Connection connection = dataSource.getConnection()) {
      store.removeContactPoints(
          connection,
          invalid.stream()
              .map(
                  c ->
                      new SubscriberStore.ContactPoint(
                          c.getTenantId(), c.getUserId(), c.getChannel().name(), c.getContact()))
              .toList());
      profiles =
          store.profiles(
              connection,
              invalid.stream().map(c -> new Removal(c.getTenantId(), c.getUserId())).toList());
      connection.commit();
    }
    Map<String, String> tenants = new LinkedHashMap<>();
    for (ContactPointInvalid c : invalid) {
      String key = SubscriberProfile.key(c.getTenantId(), c.getUserId());
      if (profiles.containsKey(key)) {
        tenants.put(key, c.getTenantId());
      }
    }
    List<CompletableFuture<?>> sends = new ArrayList<>();
    tenants.forEach(
        (key, tenant) ->
            sends.add(
                kafka
                    .template()
                    .send(
                        TopicCatalog.NOTIFICATION_SUBSCRIBERS.name(),
                        key,
                        profiles.get(key).toEvent(tenant, clock.instant()))));
    kafka.template().flush();
    try {
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the broker did not take the updated profiles", e);
    }
    meters.counter("herald.subscribers.contact-points.removed").increment(invalid.size());
    log.info("Removed {} invalid contact points", invalid.size());
  }
}
