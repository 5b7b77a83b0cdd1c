package io.herald.worker.testing;

import static org.awaitility.Awaitility.await;

import io.herald.events.catalog.TopicCatalog;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.worker.DeliveryWorker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.utils.ContainerTestUtils;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * What every channel worker's integration test shares: the real database and registry, waiting
 * until the worker's consumers own their partitions, and reading what the worker produced (status
 * events, dead letters) the way another team would. Subclasses add {@code @SpringBootTest} and
 * {@code @EmbeddedKafka} with the channel topic and {@code notification.delivery-status.v1}.
 */
public abstract class ChannelWorkerIT {

  @DynamicPropertySource
  static void workerProperties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("spring.kafka.bootstrap-servers", () -> "${spring.embedded.kafka.brokers}");
    // Short retry delays: three attempts in well under a second.
    registry.add("herald.worker.retry-delays", () -> "200ms,400ms");
  }

  @Autowired protected EmbeddedKafkaBroker broker;
  @Autowired protected DeliveryWorker worker;

  /** Waits until the worker's consumers own every partition of the channel and retry topics. */
  @BeforeEach
  void awaitPartitions() {
    worker
        .containers()
        .forEach(
            c ->
                ContainerTestUtils.waitForAssignment(
                    c, partitionsOf(c.getContainerProperties().getTopics()[0])));
  }

  private int partitionsOf(String topic) {
    try (AdminClient admin =
        AdminClient.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()))) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get()
          .get(topic)
          .partitions()
          .size();
    } catch (Exception e) {
      throw new IllegalStateException("cannot describe " + topic, e);
    }
  }

  /** Every status event of the delivery on the topic now, in order. */
  protected List<SpecificRecord> statusesOf(String deliveryId) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        TopicCatalog.NOTIFICATION_DELIVERY_STATUS.name(),
        SpecificRecord.class,
        s ->
            ((GenericRecord) s).getSchema().getField("deliveryId") != null
                && deliveryId.equals(String.valueOf(((GenericRecord) s).get("deliveryId"))));
  }

  /** Waits (30 s at most) for a status of the type about the delivery and returns the first. */
  protected <T extends SpecificRecord> T awaitStatus(String deliveryId, Class<T> type) {
    List<T> found = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              found.clear();
              statusesOf(deliveryId).stream()
                  .filter(type::isInstance)
                  .map(type::cast)
                  .forEach(found::add);
              return !found.isEmpty();
            });
    return found.get(0);
  }

  /** Waits (30 s at most) for the dead letter whose original record had this delivery id. */
  protected ConsumerRecord<String, byte[]> awaitDeadLetter(String topic, String marker) {
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              found.clear();
              for (ConsumerRecord<String, byte[]> r :
                  KafkaTestClients.readAll(broker.getBrokersAsString(), topic + "-dlt")) {
                if (r.value() != null
                    && new String(r.value(), StandardCharsets.ISO_8859_1).contains(marker)) {
                  found.add(r);
                }
              }
              return !found.isEmpty();
            });
    return found.get(0);
  }

  /** Every record on the dead-letter topic of the channel topic now. */
  protected List<ConsumerRecord<String, byte[]>> deadLetters(String topic) {
    return KafkaTestClients.readAll(broker.getBrokersAsString(), topic + "-dlt");
  }

  protected static String header(ConsumerRecord<?, ?> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Writes bytes no Avro deserializer can read. */
  protected void produceRaw(String topic, String key, byte[] value) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }
}
