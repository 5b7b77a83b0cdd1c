package io.herald.support.examples;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * How another team reads Herald's topics with nothing of Herald's: a plain Kafka consumer, the
 * schema registry's Confluent-compatible API and Avro. Each value is the Confluent wire format —
 * magic byte 0, a 4-byte schema id, Avro binary — and the id resolves at {@code
 * /apis/ccompat/v7/schemas/ids/{id}}.
 *
 * <p>Run against the local platform: {@code java PlainAvroTopicReader 127.0.0.1:9092
 * http://127.0.0.1:8085 notification.requests.v1 content.approvals.v1}.
 */
public final class PlainAvroTopicReader {

  private final String bootstrapServers;
  private final String registryBase;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();
  private final Map<Integer, Schema> schemas = new HashMap<>();

  /**
   * @param registryBase the registry's address, e.g. {@code http://127.0.0.1:8085}
   */
  public PlainAvroTopicReader(String bootstrapServers, String registryBase) {
    this.bootstrapServers = bootstrapServers;
    this.registryBase = registryBase;
  }

  /** One record, decoded with the schema its writer used. */
  public record Decoded(String topic, String key, int schemaId, GenericRecord value) {}

  /** Every record of {@code topic} from its start up to its end now (tombstones left out). */
  public List<Decoded> readAll(String topic) throws IOException, InterruptedException {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<Decoded> decoded = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (record.value() != null) {
            decoded.add(decode(record));
          }
        }
      }
    }
    return decoded;
  }

  private Decoded decode(ConsumerRecord<String, byte[]> record)
      throws IOException, InterruptedException {
    ByteBuffer wire = ByteBuffer.wrap(record.value());
    if (wire.get() != 0) {
      throw new IOException("not the Confluent wire format at offset " + record.offset());
    }
    int id = wire.getInt();
    Schema writer = schemas.get(id);
    if (writer == null) {
      writer = fetch(id);
      schemas.put(id, writer);
    }
    GenericRecord value =
        new GenericDatumReader<GenericRecord>(writer)
            .read(
                null,
                DecoderFactory.get()
                    .binaryDecoder(record.value(), 5, record.value().length - 5, null));
    return new Decoded(record.topic(), record.key(), id, value);
  }

  private Schema fetch(int id) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(registryBase + "/apis/ccompat/v7/schemas/ids/" + id))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("schema " + id + ": " + response.statusCode());
    }
    return new Schema.Parser().parse(json.readTree(response.body()).get("schema").asString());
  }

  public static void main(String[] args) throws Exception {
    PlainAvroTopicReader reader = new PlainAvroTopicReader(args[0], args[1]);
    for (int i = 2; i < args.length; i++) {
      for (Decoded record : reader.readAll(args[i])) {
        System.out.println(record.topic() + " " + record.key() + " " + record.value());
      }
    }
  }
}
