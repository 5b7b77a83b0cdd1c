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
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Consumers that read topics the way an outside team would, from the beginning, in a group of their
 * own. Example: {@code KafkaTestClients.avroConsumer(brokers, "notification.email.v1")}.
 */
public final class KafkaTestClients {

  private KafkaTestClients() {}

  /** Decodes values through the shared test registry into the generated Avro classes. */
  public static KafkaConsumer<String, Object> avroConsumer(String bootstrapServers, String topic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
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
}
