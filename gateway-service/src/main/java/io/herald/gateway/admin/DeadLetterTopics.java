package io.herald.gateway.admin;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Reads Herald's dead-letter topics ({@code <catalog topic>-dlt}) from the start, or from a time,
 * up to their end, without a consumer group. Blocks: callers run it off the event loop.
 */
@Component
class DeadLetterTopics {

  static final int MAX_RECORDS = 500;
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration READ_LIMIT = Duration.ofSeconds(20);

  private final KafkaProperties kafka;
  private final PayloadDecoder decoder;

  DeadLetterTopics(KafkaProperties kafka, PayloadDecoder decoder) {
    this.kafka = kafka;
    this.decoder = decoder;
  }

  /** The catalog topic whose dead letters {@code dltTopic} holds, if it is one of Herald's. */
  static Optional<TopicSpec> originOf(String dltTopic) {
    return TopicCatalog.ALL.stream()
        .filter(topic -> topic.deadLetterTopic().equals(dltTopic))
        .findFirst();
  }

  /** How many records each dead-letter topic holds now (0 for one not created yet). */
  Map<String, Long> sizes() {
    Map<String, Long> sizes = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      for (TopicSpec topic : TopicCatalog.ALL) {
        List<TopicPartition> partitions = partitions(consumer, topic.deadLetterTopic());
        long size = 0;
        if (!partitions.isEmpty()) {
          Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions);
          Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
          for (TopicPartition partition : partitions) {
            size += end.get(partition) - start.get(partition);
          }
        }
        sizes.put(topic.deadLetterTopic(), size);
      }
    }
    return sizes;
  }

  /**
   * The records of {@code dltTopic} that {@code visible} lets the caller see and {@code criteria}
   * match, oldest first per partition, at most {@code limit}.
   */
  List<Matched> read(String dltTopic, Criteria criteria, Predicate<DeadLetter> visible, int limit) {
    List<Matched> matched = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<TopicPartition> partitions = partitions(consumer, dltTopic);
      if (partitions.isEmpty()) {
        return matched;
      }
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      consumer.seekToBeginning(partitions);
      if (criteria.from() != null) {
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(p -> times.put(p, criteria.from().toEpochMilli()));
        for (Map.Entry<TopicPartition, OffsetAndTimestamp> at :
            consumer.offsetsForTimes(times).entrySet()) {
          if (at.getValue() == null) {
            consumer.seek(at.getKey(), end.get(at.getKey()));
          } else {
            consumer.seek(at.getKey(), at.getValue().offset());
          }
        }
      }
      long deadline = System.nanoTime() + READ_LIMIT.toNanos();
      while (matched.size() < limit
          && !atEnd(consumer, partitions, end)
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
          if (record.offset() >= end.get(new TopicPartition(record.topic(), record.partition()))) {
            continue;
          }
          DeadLetter letter = describe(record);
          if (matched.size() < limit && criteria.matches(letter) && visible.test(letter)) {
            matched.add(new Matched(letter, record));
          }
        }
      }
    }
    return matched;
  }

  private static boolean atEnd(
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> end) {
    for (TopicPartition partition : partitions) {
      if (consumer.position(partition) < end.get(partition)) {
        return false;
      }
    }
    return true;
  }

  private DeadLetter describe(ConsumerRecord<byte[], byte[]> record) {
    Map<String, String> errorHeaders = new LinkedHashMap<>();
    for (Header header : record.headers()) {
      String name = header.key();
      if (name.startsWith("kafka_dlt-exception")
          || name.startsWith("kafka_exception")
          || name.startsWith("herald-error")
          || name.equals("herald-provider")) {
        errorHeaders.put(name, text(header.value()));
      }
    }
    String reason =
        first(record, KafkaHeaders.DLT_EXCEPTION_MESSAGE, KafkaHeaders.EXCEPTION_MESSAGE);
    String exceptionClass =
        first(record, KafkaHeaders.DLT_EXCEPTION_FQCN, KafkaHeaders.EXCEPTION_FQCN);
    String originalTopic =
        first(record, KafkaHeaders.DLT_ORIGINAL_TOPIC, KafkaHeaders.ORIGINAL_TOPIC);
    Header partition = record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_PARTITION);
    Header offset = record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET);
    Header timestamp = record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_TIMESTAMP);
    JsonNode payload = null;
    String payloadError = null;
    try {
      payload = decoder.decode(record.value());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      payloadError = "interrupted";
    } catch (Exception e) {
      payloadError = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    String tenant =
        payload != null && payload.hasNonNull("tenantId")
            ? payload.get("tenantId").asString()
            : null;
    return new DeadLetter(
        record.partition() + "-" + record.offset(),
        record.topic(),
        record.partition(),
        record.offset(),
        Instant.ofEpochMilli(record.timestamp()),
        record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
        originalTopic,
        partition == null || partition.value().length != Integer.BYTES
            ? null
            : ByteBuffer.wrap(partition.value()).getInt(),
        offset == null || offset.value().length != Long.BYTES
            ? null
            : ByteBuffer.wrap(offset.value()).getLong(),
        timestamp == null || timestamp.value().length != Long.BYTES
            ? null
            : Instant.ofEpochMilli(ByteBuffer.wrap(timestamp.value()).getLong()),
        reason,
        exceptionClass,
        errorHeaders,
        payload,
        payloadError,
        tenant);
  }

  private static String first(ConsumerRecord<?, ?> record, String... names) {
    for (String name : names) {
      Header header = record.headers().lastHeader(name);
      if (header != null) {
        return new String(header.value(), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** A header as text; the binary numbers of spring-kafka's headers as decimals. */
  private static String text(byte[] value) {
    if (value == null) {
      return null;
    }
    for (byte b : value) {
      if (b < 0x09 || (b > 0x0d && b < 0x20)) {
        if (value.length == Long.BYTES) {
          return Long.toString(ByteBuffer.wrap(value).getLong());
        }
        if (value.length == Integer.BYTES) {
          return Integer.toString(ByteBuffer.wrap(value).getInt());
        }
        return java.util.Base64.getEncoder().encodeToString(value);
      }
    }
    return new String(value, StandardCharsets.UTF_8);
  }

  private static List<TopicPartition> partitions(
      KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<PartitionInfo> infos = consumer.listTopics(Duration.ofSeconds(10)).get(topic);
    if (infos == null) {
      return List.of();
    }
    return infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Map<String, Object> config = new HashMap<>();
    config.put(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", kafka.getBootstrapServers()));
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "gateway-dead-letters");
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Which dead letters an operator means.
   *
   * @param reason text the error message or class contains (case-insensitive), or null for any
   * @param from dead-lettered at or after, or null
   * @param to dead-lettered before, or null
   * @param ids {@code <partition>-<offset>} ids, or null for any
   */
  record Criteria(String reason, Instant from, Instant to, List<String> ids) {

    boolean matches(DeadLetter letter) {
      if (ids != null && !ids.contains(letter.id())) {
        return false;
      }
      if (from != null && letter.timestamp().isBefore(from)) {
        return false;
      }
      if (to != null && !letter.timestamp().isBefore(to)) {
        return false;
      }
      if (reason != null && !reason.isBlank()) {
        String needle = reason.toLowerCase(Locale.ROOT);
        return (letter.reason() != null
                && letter.reason().toLowerCase(Locale.ROOT).contains(needle))
            || (letter.exceptionClass() != null
                && letter.exceptionClass().toLowerCase(Locale.ROOT).contains(needle));
      }
      return true;
    }
  }

  /** A dead letter and the record it was read from (for a replay). */
  record Matched(DeadLetter letter, ConsumerRecord<byte[], byte[]> record) {}
}
