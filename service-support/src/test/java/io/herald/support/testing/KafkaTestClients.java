package io.herald.support.testing;

import static org.awaitility.Awaitility.await;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.herald.support.kafka.RegistrySerde;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

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
  public static KafkaProducer<String, Object> avroProducer(String bootstrapServers) {
    Map<String, Object> config =
        new HashMap<>(RegistrySerde.producerProperties(ApicurioRegistryServer.shared().url()));
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class);
    return new KafkaProducer<>(config);
  }

  /** Decodes values through the shared test registry into the generated Avro classes. */
  public static KafkaConsumer<String, Object> avroConsumer(String bootstrapServers, String topic) {
    Map<String, Object> config =
        new HashMap<>(RegistrySerde.consumerProperties(ApicurioRegistryServer.shared().url()));
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // What other teams see: records of aborted transactions never.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroKafkaDeserializer.class);
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
   * decoded through the shared test registry. Records that are not in the registry's wire format
   * (no magic byte: poison records that tests write on purpose) are passed over.
   */
  public static <T> List<T> readAllValues(
      String bootstrapServers, String topic, Class<T> type, Predicate<T> filter) {
    RegistrySerde.trustHeraldClasses();
    List<T> values = new ArrayList<>();
    try (AvroKafkaDeserializer<Object> avro = new AvroKafkaDeserializer<>()) {
      avro.configure(
          RegistrySerde.consumerProperties(ApicurioRegistryServer.shared().url()), false);
      for (ConsumerRecord<String, byte[]> record : readAll(bootstrapServers, topic)) {
        if (record.value() == null || record.value().length < 5 || record.value()[0] != 0) {
          continue;
        }
        Object value = avro.deserialize(topic, record.headers(), record.value());
        if (type.isInstance(value) && filter.test(type.cast(value))) {
          values.add(type.cast(value));
        }
      }
    }
    return values;
  }
}
