package io.herald.support.testing;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
}
