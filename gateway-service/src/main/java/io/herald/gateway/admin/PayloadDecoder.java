package io.herald.gateway.admin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decodes a Confluent-framed Avro value (magic byte 0, 4-byte schema id) with the writer's schema
 * from the registry's Confluent-compatible API, the way any consumer of Herald's topics can. Blocks
 * on the registry; schemas are cached by id.
 */
@Component
class PayloadDecoder {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String schemasUrl;
  private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

  PayloadDecoder(@Value("${herald.registry-url}") String registryUrl) {
    String base = registryUrl.replaceFirst("/apis/registry/v3/?$", "");
    this.schemasUrl = base + "/apis/ccompat/v7/schemas/ids/";
  }

  /** The decoded value as JSON. */
  JsonNode decode(byte[] value) throws IOException, InterruptedException {
    if (value == null || value.length < 5 || value[0] != 0) {
      throw new IOException("not a Confluent-framed Avro value (no magic byte 0)");
    }
    ByteBuffer wire = ByteBuffer.wrap(value);
    wire.get();
    int id = wire.getInt();
    Schema schema = schemas.get(id);
    if (schema == null) {
      schema = fetch(id);
      schemas.put(id, schema);
    }
    GenericRecord record =
        new GenericDatumReader<GenericRecord>(schema)
            .read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
    return JSON.readTree(GenericData.get().toString(record));
  }

  private Schema fetch(int id) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(schemasUrl + id))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "schema " + id + " not found in the registry (" + response.statusCode() + ")");
    }
    return new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asString());
  }
}
