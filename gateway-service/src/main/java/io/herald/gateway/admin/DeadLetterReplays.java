package io.herald.gateway.admin;

import io.herald.gateway.admin.DeadLetterTopics.Matched;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.support.serializer.SerializationUtils;
import org.springframework.stereotype.Component;

/**
 * Puts dead letters back on their original topic, byte for byte with their own headers, marked with
 * {@code herald-replay-id}, {@code herald-replayed-from} ({@code <dlt>/<partition>/<offset>}) and
 * {@code herald-replayed-by}. Each dead letter is replayed once: it is claimed in {@code
 * dead_letter_replayed_records} before it is sent, and a later replay skips it. Every replay is
 * recorded in {@code dead_letter_replays}. Blocks: callers run it off the event loop.
 */
@Component
class DeadLetterReplays implements DisposableBean {

  static final String REPLAY_ID_HEADER = "herald-replay-id";
  static final String REPLAYED_FROM_HEADER = "herald-replayed-from";
  static final String REPLAYED_BY_HEADER = "herald-replayed-by";
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

  private final DataSource database;
  private final KafkaProducer<byte[], byte[]> producer;

  DeadLetterReplays(DataSource database, KafkaProperties kafka) {
    this.database = database;
    Map<String, Object> config = new HashMap<>();
    config.put(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", kafka.getBootstrapServers()));
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "gateway-dead-letter-replays");
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    this.producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Replays {@code matched} and records it; answers what was done. */
  Replay replay(
      String tenantId, String operatorId, String dltTopic, String criteria, List<Matched> matched)
      throws SQLException {
    UUID replayId = UUID.randomUUID();
    List<Matched> claimed = claim(replayId, dltTopic, matched);
    List<String> replayed = new ArrayList<>();
    try {
      List<Future<RecordMetadata>> sends = new ArrayList<>();
      for (Matched one : claimed) {
        sends.add(producer.send(record(one, replayId, operatorId)));
      }
      for (Future<RecordMetadata> send : sends) {
        send.get(SEND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
      claimed.forEach(one -> replayed.add(one.letter().id()));
    } catch (Exception e) {
      unclaim(replayId);
      throw new ReplayFailedException(e);
    }
    List<String> skipped =
        matched.stream()
            .map(one -> one.letter().id())
            .filter(id -> !replayed.contains(id))
            .toList();
    Instant at = Instant.now();
    try (Connection c = database.getConnection();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO dead_letter_replays (replay_id, tenant_id, operator_id, dlt_topic,"
                    + " criteria, replayed, skipped, replayed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setObject(1, replayId);
      insert.setString(2, tenantId);
      insert.setString(3, operatorId);
      insert.setString(4, dltTopic);
      insert.setString(5, criteria);
      insert.setInt(6, replayed.size());
      insert.setInt(7, skipped.size());
      insert.setTimestamp(8, Timestamp.from(at));
      insert.executeUpdate();
    }
    return new Replay(replayId, operatorId, dltTopic, criteria, at, replayed, skipped.size());
  }

  /** The tenant's replays, newest first. */
  List<Replay> history(String tenantId, int limit) throws SQLException {
    List<Replay> replays = new ArrayList<>();
    try (Connection c = database.getConnection();
        PreparedStatement select =
            c.prepareStatement(
                "SELECT r.replay_id, r.operator_id, r.dlt_topic, r.criteria, r.replayed_at,"
                    + " r.skipped, array(SELECT d.partition || '-' || d.\"offset\""
                    + " FROM dead_letter_replayed_records d WHERE d.replay_id = r.replay_id"
                    + " ORDER BY d.partition, d.\"offset\") AS ids"
                    + " FROM dead_letter_replays r WHERE r.tenant_id = ?"
                    + " ORDER BY r.replayed_at DESC LIMIT ?")) {
      select.setString(1, tenantId);
      select.setInt(2, limit);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          List<String> ids = List.of((String[]) rows.getArray("ids").getArray());
          int skipped = rows.getInt("skipped");
          replays.add(
              new Replay(
                  rows.getObject("replay_id", UUID.class),
                  rows.getString("operator_id"),
                  rows.getString("dlt_topic"),
                  rows.getString("criteria"),
                  rows.getTimestamp("replayed_at").toInstant(),
                  ids,
                  skipped));
        }
      }
    }
    return replays;
  }

  /** The dead letters this replay now holds; those replayed before are left out. */
  private List<Matched> claim(UUID replayId, String dltTopic, List<Matched> matched)
      throws SQLException {
    if (matched.isEmpty()) {
      return List.of();
    }
    Integer[] partitions =
        matched.stream().map(m -> m.letter().partition()).toArray(Integer[]::new);
    Long[] offsets = matched.stream().map(m -> m.letter().offset()).toArray(Long[]::new);
    List<String> taken = new ArrayList<>();
    try (Connection c = database.getConnection();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO dead_letter_replayed_records (dlt_topic, partition, \"offset\","
                    + " replay_id) SELECT ?, p, o, ? FROM unnest(?::int[], ?::bigint[]) AS t(p, o)"
                    + " ON CONFLICT DO NOTHING RETURNING partition || '-' || \"offset\"")) {
      insert.setString(1, dltTopic);
      insert.setObject(2, replayId);
      insert.setArray(3, c.createArrayOf("int4", partitions));
      insert.setArray(4, c.createArrayOf("int8", offsets));
      try (ResultSet rows = insert.executeQuery()) {
        while (rows.next()) {
          taken.add(rows.getString(1));
        }
      }
    }
    return matched.stream().filter(m -> taken.contains(m.letter().id())).toList();
  }

  private void unclaim(UUID replayId) {
    try (Connection c = database.getConnection();
        PreparedStatement delete =
            c.prepareStatement("DELETE FROM dead_letter_replayed_records WHERE replay_id = ?")) {
      delete.setObject(1, replayId);
      delete.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("replay " + replayId + " failed and was not undone", e);
    }
  }

  private static ProducerRecord<byte[], byte[]> record(
      Matched one, UUID replayId, String operatorId) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : one.record().headers()) {
      String name = header.key();
      if (!name.startsWith("kafka_dlt-")
          && !name.startsWith("kafka_exception")
          && !name.startsWith("herald-error")
          && !name.startsWith("herald-replay")
          && !name.equals(SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER)
          && !name.equals(SerializationUtils.KEY_DESERIALIZER_EXCEPTION_HEADER)) {
        headers.add(header);
      }
    }
    DeadLetter letter = one.letter();
    headers.add(REPLAY_ID_HEADER, replayId.toString().getBytes(StandardCharsets.UTF_8));
    headers.add(
        REPLAYED_FROM_HEADER,
        (letter.topic() + "/" + letter.partition() + "/" + letter.offset())
            .getBytes(StandardCharsets.UTF_8));
    headers.add(REPLAYED_BY_HEADER, operatorId.getBytes(StandardCharsets.UTF_8));
    String target =
        letter.originalTopic() != null
            ? letter.originalTopic()
            : letter.topic().substring(0, letter.topic().length() - "-dlt".length());
    return new ProducerRecord<>(target, null, one.record().key(), one.record().value(), headers);
  }

  @Override
  public void destroy() {
    producer.close(Duration.ofSeconds(5));
  }

  /**
   * One replay: who, which topic, by which criteria, when, and which dead letters ({@code
   * <partition>-<offset>}) went back; {@code skipped} counts those that matched but had been
   * replayed before.
   */
  record Replay(
      UUID replayId,
      String operatorId,
      String deadLetterTopic,
      String criteria,
      Instant replayedAt,
      List<String> replayed,
      int skipped) {}

  /** The records could not all be sent; none is marked replayed. */
  static final class ReplayFailedException extends RuntimeException {
    ReplayFailedException(Throwable cause) {
      super(cause);
    }
  }
}
