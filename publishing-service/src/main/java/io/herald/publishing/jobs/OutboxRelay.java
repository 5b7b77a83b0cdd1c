package io.herald.publishing.jobs;

import io.herald.support.kafka.TransactionalKafka;
import io.herald.support.polling.PollingLoop;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends the outbox to Kafka: takes the oldest entries (rows another instance is sending are
 * skipped), sends them in one Kafka transaction and deletes them. An instance that dies between the
 * Kafka commit and the delete sends those entries again on its next turn; their event ids are the
 * same, so consumers drop the copies.
 */
public class OutboxRelay extends PollingLoop {

  private static final int BATCH = 500;

  private final DataSource dataSource;
  private final TransactionalKafka kafka;

  public OutboxRelay(DataSource dataSource, TransactionalKafka kafka, Duration pollInterval) {
    super("publishing-outbox", pollInterval, Duration.ofSeconds(10));
    this.dataSource = dataSource;
    this.kafka = kafka;
  }

  private record Entry(long id, String topic, String key, String type, byte[] payload) {}

  @Override
  protected boolean runOnce() throws SQLException {
    return relayOnce() == BATCH;
  }

  int relayOnce() throws SQLException {
    try (Connection db = dataSource.getConnection()) {
      List<Entry> entries = new ArrayList<>();
      try (PreparedStatement select =
          db.prepareStatement(
              "select id, topic, record_key, event_type, payload from publishing_outbox"
                  + " order by id limit ? for update skip locked")) {
        select.setInt(1, BATCH);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            entries.add(
                new Entry(
                    rows.getLong(1),
                    rows.getString(2),
                    rows.getString(3),
                    rows.getString(4),
                    rows.getBytes(5)));
          }
        }
      }
      if (entries.isEmpty()) {
        db.commit();
        return 0;
      }
      kafka
          .template()
          .executeInTransaction(
              template -> {
                for (Entry e : entries) {
                  template.send(
                      new ProducerRecord<>(
                          e.topic(), e.key(), JobResults.decode(e.type(), e.payload())));
                }
                return null;
              });
      try (PreparedStatement delete =
          db.prepareStatement("delete from publishing_outbox where id = any(?)")) {
        delete.setArray(1, db.createArrayOf("bigint", entries.stream().map(Entry::id).toArray()));
        delete.executeUpdate();
      }
      db.commit();
      return entries.size();
    }
  }
}
