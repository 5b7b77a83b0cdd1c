package io.herald.notification.subscribers;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.SubscriberUpdated;
import io.herald.notification.subscribers.SubscriberStore.Removal;
import io.herald.notification.subscribers.SubscriberStore.Upsert;
import io.herald.support.kafka.DeadLetters;
import io.herald.support.kafka.PoisonRecordException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Keeps the subscriber store from the compacted {@code notification.subscribers.v1}, a batch at a
 * time: the last record per key in the batch wins (as compaction would keep it), a tombstone
 * deletes. A record whose key does not match its value, or whose profile breaks a rule, goes to
 * {@code notification.subscribers.v1-dlt} with the reasons.
 */
@Component
class SubscribersListener {

  static final String ID = "notification-subscribers";

  private final DataSource dataSource;
  private final SubscriberStore store;
  private final DeadLetters deadLetters;

  SubscribersListener(DataSource dataSource, SubscriberStore store, DeadLetters deadLetters) {
    this.dataSource = dataSource;
    this.store = store;
    this.deadLetters = deadLetters;
  }

  @KafkaListener(
      id = ID,
      topics = TopicCatalog.Names.NOTIFICATION_SUBSCRIBERS,
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory")
  void onSubscribers(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer)
      throws SQLException {
    Map<String, Object> latest = new LinkedHashMap<>();
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(
              record, consumer, SubscriberUpdated.class, true, value -> change(record.key(), value))
          .ifPresent(change -> latest.put(record.key(), change));
    }
    List<Upsert> upserts = new ArrayList<>();
    List<Removal> removals = new ArrayList<>();
    latest
        .values()
        .forEach(
            c -> {
              if (c instanceof Upsert u) {
                upserts.add(u);
              } else {
                removals.add((Removal) c);
              }
            });
    try (Connection connection = dataSource.getConnection()) {
      store.apply(connection, upserts, removals);
      connection.commit();
    }
  }

  private static Object change(String key, SubscriberUpdated value) {
    int slash = key == null ? -1 : key.indexOf('/');
    if (slash <= 0 || slash == key.length() - 1) {
      throw new PoisonRecordException("key must be tenantId/userId, got " + key);
    }
    String tenantId = key.substring(0, slash);
    String userId = key.substring(slash + 1);
    if (value == null) {
      return new Removal(tenantId, userId);
    }
    if (!tenantId.equals(value.getTenantId()) || !userId.equals(value.getUserId())) {
      throw new PoisonRecordException(
          "key " + key + " does not match tenant and user of the value");
    }
    SubscriberProfile profile = SubscriberProfile.of(value);
    List<SubscriberRules.Violation> violations = SubscriberRules.check(profile);
    if (!violations.isEmpty()) {
      throw new PoisonRecordException("subscriber " + key + " is not valid: " + violations);
    }
    return new Upsert(tenantId, profile);
  }
}
