package io.herald.support.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.events.catalog.Owner;
import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import io.herald.support.kafka.SchemaRegistration;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.util.RandomData;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.condition.EmbeddedKafkaCondition;
import org.springframework.kafka.test.context.EmbeddedKafka;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Herald's topics as an API for other teams: once the services have started, every value type of
 * the catalog is in the registry before anything was produced, and {@link PlainAvroTopicReader} —
 * plain Kafka, the Confluent-compatible API and Avro only — decodes every record of every topic as
 * Herald's producers wrote it.
 */
@EmbeddedKafka(
    partitions = 2,
    topics = {
      "content.approvals.v1",
      "publishing.requests.v1",
      "publishing.results.v1",
      "notification.requests.v1",
      "notification.email.v1",
      "notification.whatsapp.v1",
      "notification.push.v1",
      "notification.delivery-status.v1",
      "notification.inbox.v1",
      "notification.subscribers.v1",
      "notification.fanout-chunks.v1"
    })
class PlainAvroTopicReaderIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void shouldFindEveryContractBeforeAnythingIsProducedAndDecodeEveryTopic() throws Exception {
    ApicurioRegistryServer registry = ApicurioRegistryServer.shared();
    for (Owner owner : Owner.values()) {
      new SchemaRegistration(registry.url()).register(owner);
    }
    for (TopicSpec topic : TopicCatalog.ALL) {
      for (Class<?> type : topic.valueTypes()) {
        String subject = SchemaRegistration.subject(topic, type);
        JsonNode latest = get(registry.ccompatUrl() + "/subjects/" + subject + "/versions/latest");
        assertThat(new Schema.Parser().parse(latest.get("schema").asString()))
            .as(subject)
            .isEqualTo(SpecificData.get().getSchema(type));
      }
    }

    EmbeddedKafkaBroker broker = EmbeddedKafkaCondition.getBroker();
    Map<String, List<GenericRecord>> produced = new HashMap<>();
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      long seed = 1;
      for (TopicSpec topic : TopicCatalog.ALL) {
        for (Class<?> type : topic.valueTypes()) {
          Schema schema = SpecificData.get().getSchema(type);
          for (Object value : new RandomData(schema, 2, seed++)) {
            GenericRecord record = (GenericRecord) value;
            producer.send(new ProducerRecord<>(topic.name(), "key-" + seed, record)).get();
            produced.computeIfAbsent(topic.name(), t -> new ArrayList<>()).add(record);
          }
        }
      }
    }

    PlainAvroTopicReader reader =
        new PlainAvroTopicReader(broker.getBrokersAsString(), registry.baseUrl());
    for (TopicSpec topic : TopicCatalog.ALL) {
      List<PlainAvroTopicReader.Decoded> decoded = reader.readAll(topic.name());
      assertThat(decoded).as(topic.name()).hasSize(produced.get(topic.name()).size());
      assertThat(decoded.stream().map(d -> d.value().getSchema().getName()).distinct())
          .as("value types read from %s", topic.name())
          .containsExactlyInAnyOrderElementsOf(
              topic.valueTypes().stream().map(Class::getSimpleName).toList());
      // As JSON trees: the fields of maps compare without their order.
      assertThat(decoded.stream().map(d -> JSON.readTree(d.value().toString())).toList())
          .as("values of %s", topic.name())
          .containsExactlyInAnyOrderElementsOf(
              produced.get(topic.name()).stream()
                  .map(value -> JSON.readTree(value.toString()))
                  .toList());
    }
  }

  private static JsonNode get(String url) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url + " " + response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
