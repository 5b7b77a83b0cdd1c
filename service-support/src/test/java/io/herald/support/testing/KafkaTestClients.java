package io.herald.support.testing;

import static org.awaitility.Awaitility.await;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Consumers that read topics the way an outside team would, from the beginning, in a group of their
 * own. Example: {@code KafkaTestClients.avroConsumer(brokers, "notification.email.v1")}.
 */
public final class KafkaTestClients {

  private KafkaTestClients() {}

  /**
   * A producer that writes Avro through the shared test registry the way Herald's services do
   * (Confluent wire format, {@code <topic>-<record>} artifacts).
   */
  public static org.apache.kafka.clients.producer.KafkaProducer<String, Object> avroProducer(
      String bootstrapServers) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", bootstrapServers);
    config.put("key.serializer", org.apache.kafka.common.serialization.StringSerializer.class);
    config.put("value.serializer", io.apicurio.registry.serde.avro.AvroKafkaSerializer.class);
    config.put("apicurio.registry.url", ApicurioRegistryServer.shared().url());
    config.put("apicurio.registry.auto-register", true);
    config.put("apicurio.registry.dereference-schema", true);
    config.put(
        "apicurio.registry.artifact-resolver-strategy",
        "io.apicurio.registry.serde.avro.strategy.TopicRecordIdStrategy");
    return new org.apache.kafka.clients.producer.KafkaProducer<>(config);
  }

  /** Decodes values through the shared test registry into the generated Avro classes. */
  public static KafkaConsumer<String, Object> avroConsumer(String bootstrapServers, String topic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // What other teams see: records of aborted transactions never.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroKafkaDeserializer.class);
    config.put("apicurio.registry.url", ApicurioRegistryServer.shared().url());
    config.put("apicurio.registry.use-specific-avro-reader", true);
    KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(config);
    consumer.subscribe(List.of(topic));
    return consumer;
  }

  /**
   * Polls until at least {@code atLeast} values of the type pass the filter (30 s at most) and
   * returns them in the order they were read.
   */
  public static <T> List<T> awaitValues(
      KafkaConsumer<String, Object> consumer, Class<T> type, Predicate<T> filter, int atLeast) {
    List<T> found = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              for (ConsumerRecord<String, Object> record : consumer.poll(Duration.ofMillis(300))) {
                if (type.isInstance(record.value()) && filter.test(type.cast(record.value()))) {
                  found.add(type.cast(record.value()));
                }
              }
              return found.size() >= atLeast;
            });
    return found;
  }

  /**
   * Every committed record of the topic at this moment, as raw bytes: reads from the beginning up
   * to the end offsets taken when called (the last stable offsets, under read_committed).
   */
  public static List<ConsumerRecord<String, byte[]>> readAll(
      String bootstrapServers, String topic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(found::add);
                return end.entrySet().stream()
                    .allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
              });
    }
    return found;
  }

  /**
   * Every committed value of the given type on the topic at this moment that passes the filter,
   * decoded through the shared test registry.
   */
  public static <T> List<T> readAllValues(
      String bootstrapServers, String topic, Class<T> type, Predicate<T> filter) {
    if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null) {
      // Avro 1.12 instantiates only trusted classes; a Herald service sets this at start-up.
      System.setProperty(
          "org.apache.avro.SERIALIZABLE_PACKAGES",
          "io.herald.events.v1,java.lang,java.util,org.apache.avro");
    }
    List<T> values = new ArrayList<>();
    try (AvroKafkaDeserializer<Object> avro = new AvroKafkaDeserializer<>()) {
      avro.configure(
          Map.of(
              "apicurio.registry.url",
              ApicurioRegistryServer.shared().url(),
              "apicurio.registry.use-specific-avro-reader",
              true),
          false);
      for (ConsumerRecord<String, byte[]> record : readAll(bootstrapServers, topic)) {
        Object value = avro.deserialize(topic, record.headers(), record.value());
        if (type.isInstance(value) && filter.test(type.cast(value))) {
          values.add(type.cast(value));
        }
      }
    }
    return values;
  }
}
