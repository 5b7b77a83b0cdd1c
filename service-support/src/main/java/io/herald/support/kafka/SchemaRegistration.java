package io.herald.support.kafka;

import io.herald.events.catalog.Owner;
import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Registers the value types of the topics a service owns in the schema registry when it starts,
 * under the subjects its producers write ({@code <topic>-<record name>}, through the
 * Confluent-compatible API), so a team that reads a topic finds its contracts before anything was
 * produced to it. Registering a schema the registry already has changes nothing.
 *
 * <p>Example: {@code new SchemaRegistration(registryUrl).register(Owner.GATEWAY_SERVICE)}.
 */
public class SchemaRegistration {

  private static final Logger log = LoggerFactory.getLogger(SchemaRegistration.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final String ccompatUrl;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * @param registryUrl the registry's v3 API ({@code herald.registry-url}, e.g. {@code
   *     http://127.0.0.1:8085/apis/registry/v3})
   */
  public SchemaRegistration(String registryUrl) {
    this.ccompatUrl = registryUrl.replaceFirst("/apis/registry/v3/?$", "") + "/apis/ccompat/v7";
  }

  /** The subject of a value type on a topic, as Herald's serializers name it. */
  public static String subject(TopicSpec topic, Class<?> valueType) {
    return topic.name() + "-" + valueType.getSimpleName();
  }

  /**
   * Registers every value type of the topics {@code owner} owns; answers the subjects registered.
   *
   * @throws IllegalStateException when the registry refuses one or cannot be reached
   */
  public List<String> register(Owner owner) {
    List<String> subjects = new ArrayList<>();
    for (TopicSpec topic : TopicCatalog.ownedBy(owner)) {
      for (Class<?> type : topic.valueTypes()) {
        Schema schema = SpecificData.get().getSchema(type);
        String subject = subject(topic, type);
        String body = JSON.writeValueAsString(java.util.Map.of("schema", schema.toString()));
        HttpRequest request =
            HttpRequest.newBuilder(URI.create(ccompatUrl + "/subjects/" + subject + "/versions"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> response;
        try {
          response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
          throw new IllegalStateException("registry not reachable at " + ccompatUrl, e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while registering " + subject, e);
        }
        if (response.statusCode() / 100 != 2) {
          throw new IllegalStateException(
              "registry refused " + subject + ": " + response.statusCode() + " " + response.body());
        }
        subjects.add(subject);
      }
    }
    log.info("Registered the contracts of {}'s topics: {}", owner.serviceName(), subjects);
    return subjects;
  }
}
