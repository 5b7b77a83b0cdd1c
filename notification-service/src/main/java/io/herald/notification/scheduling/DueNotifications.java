package io.herald.notification.scheduling;

import io.herald.events.catalog.TopicCatalog;
import io.herald.support.polling.PollingLoop;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Writes notifications that have become due back to {@code notification.requests.v1}, where the
 * fan-out delivers them like any other request.
 *
 * <p>Each round, in one database transaction: mark up to {@code batch-size} due rows sent (earliest
 * first; {@code SKIP LOCKED}, so instances share the work and never take the same row), send them
 * all, wait for the broker's acknowledgements, commit. A crash before the commit leaves the rows
 * due, so they are sent again by the next round: the repeat carries the same request and event ids,
 * which the fan-out turns into the same inbox items and delivery ids, so recipients see it once. A
 * cancellation waits for a round's lock and then finds the row sent.
 */
public class DueNotifications extends PollingLoop {

  private final DataSource dataSource;
  private final ScheduledNotifications store;
  private final Producer<String, byte[]> producer;
  private final SchedulingProperties properties;
  private final Timer lateness;
  private final io.micrometer.core.instrument.Counter sent;

  public DueNotifications(
      DataSource dataSource,
      ScheduledNotifications store,
      Producer<String, byte[]> producer,
      SchedulingProperties properties,
      MeterRegistry meters) {
    super("due-notifications", properties.pollInterval(), Duration.ofSeconds(10));
    this.dataSource = dataSource;
    this.store = store;
    this.producer = producer;
    this.properties = properties;
    this.lateness =
        Timer.builder("herald.scheduled.lateness")
            .description("From a held notification's sendAt to when it was taken to be sent")
            .serviceLevelObjectives(
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofSeconds(2),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60))
            .register(meters);
    this.sent =
        io.micrometer.core.instrument.Counter.builder("herald.scheduled.notifications")
            .description("Notifications held for later, cancelled, or sent when due")
            .tag("outcome", "sent")
            .register(meters);
  }

  @Override
  protected boolean runOnce() throws Exception {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      List<ScheduledNotifications.Due> due = store.takeDue(connection, properties.batchSize());
      if (due.isEmpty()) {
        connection.commit();
        return false;
      }
      List<Future<RecordMetadata>> sends = new ArrayList<>(due.size());
      for (ScheduledNotifications.Due d : due) {
        ProducerRecord<String, byte[]> record =
            new ProducerRecord<>(
                TopicCatalog.NOTIFICATION_REQUESTS.name(), d.requestId(), d.request());
        record
            .headers()
            .add(ScheduledNotifications.DUE_HEADER, ScheduledNotifications.dueHeaderValue());
        sends.add(producer.send(record));
      }
      long deadline = System.nanoTime() + properties.sendTimeout().toNanos();
      for (Future<RecordMetadata> send : sends) {
        send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      connection.commit();
      for (ScheduledNotifications.Due d : due) {
        lateness.record(Duration.between(d.sendAt(), d.takenAt()));
      }
      sent.increment(due.size());
      return due.size() == properties.batchSize();
    }
  }
}
