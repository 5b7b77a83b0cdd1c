package io.herald.events.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.events.catalog.TopicCatalog.Flow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The AsyncAPI document ({@code asyncapi.yaml}) says what the topic catalog says, and nothing it
 * does not: every topic with its key, value types, partitions, retention, cleanup policy and owner;
 * its producers and consumers; and no channel, producer or consumer beyond them (retry and
 * dead-letter topics of catalog topics aside). The build fails when they disagree.
 */
class AsyncApiCatalogTest {

  private static final Set<String> SERVICES =
      Set.of(
          TopicCatalog.GATEWAY,
          TopicCatalog.NOTIFICATION,
          TopicCatalog.PUBLISHING,
          TopicCatalog.EMAIL_WORKER,
          TopicCatalog.WHATSAPP_WORKER,
          TopicCatalog.PUSH_WORKER);
  private static final Pattern DERIVED = Pattern.compile("(.+)-(retry-\\d+|dlt)");

  private static Map<String, Object> document;
  private static Map<String, Map<String, Object>> channels;
  private static Map<String, Map<String, Object>> operations;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void read() throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("asyncapi.yaml"))) {
      document = new Yaml().load(in);
    }
    channels = (Map<String, Map<String, Object>>) document.get("channels");
    operations = (Map<String, Map<String, Object>>) document.get("operations");
  }

  @Test
  void shouldDescribeEveryTopicOfTheCatalogAsItIs() {
    for (TopicSpec topic : TopicCatalog.ALL) {
      Map<String, Object> channel = channelOf(topic.name());
      assertThat(channel).as("channel for %s", topic.name()).isNotNull();
      assertThat(messageNames(channel))
          .as("value types of %s", topic.name())
          .isEqualTo(
              topic.valueTypes().stream().map(Class::getSimpleName).collect(Collectors.toSet()));
      Map<String, Object> kafka = kafkaBinding(channel);
      assertThat(kafka.get("partitions"))
          .as("partitions of %s", topic.name())
          .isEqualTo(topic.partitions());
      Map<String, Object> config = map(kafka.get("topicConfiguration"));
      assertThat(config.get("cleanup.policy"))
          .as("cleanup.policy of %s", topic.name())
          .isEqualTo(List.of(topic.cleanupPolicy().name().toLowerCase(Locale.ROOT)));
      assertThat(((Number) config.get("retention.ms")).longValue())
          .as("retention.ms of %s", topic.name())
          .isEqualTo(topic.retention().toMillis());
      String description = (String) channel.get("description");
      assertThat(description)
          .as("description of %s", topic.name())
          .contains("Key: " + keyName(topic.keyType()))
          .contains(topic.owner().serviceName());
      for (Map<String, Object> message : messagesOf(channel)) {
        Map<String, Object> key = map(map(map(message.get("bindings")).get("kafka")).get("key"));
        assertThat(key.get("description"))
            .as("key of %s on %s", message.get("name"), topic.name())
            .isEqualTo(keyName(topic.keyType()));
      }
    }
  }

  @Test
  void shouldNameExactlyTheProducersAndConsumersOfTheCatalog() {
    for (TopicSpec topic : TopicCatalog.ALL) {
      Flow flow = TopicCatalog.flowOf(topic);
      assertThat(flow).as("flow of %s", topic.name()).isNotNull();
      Set<String> producers = new TreeSet<>();
      Set<String> consumers = new TreeSet<>();
      boolean external = false;
      for (Map<String, Object> operation : operationsOn(topic.name())) {
        List<String> tags = tags(operation);
        if (tags.isEmpty()) {
          assertThat(operation.get("action")).isEqualTo("send");
          external = true;
          continue;
        }
        (operation.get("action").equals("send") ? producers : consumers).addAll(tags);
      }
      assertThat(producers).as("producers of %s", topic.name()).isEqualTo(flow.producers());
      assertThat(consumers).as("consumers of %s", topic.name()).isEqualTo(flow.consumers());
      assertThat(external)
          .as("teams outside Herald producing to %s", topic.name())
          .isEqualTo(flow.externalProducers());
    }
  }

  @Test
  void shouldDescribeNoOtherTopicsOrServices() {
    Set<String> known = new HashSet<>();
    TopicCatalog.ALL.forEach(topic -> known.add(topic.name()));
    for (Map<String, Object> channel : channels.values()) {
      String address = (String) channel.get("address");
      var derived = DERIVED.matcher(address);
      assertThat(known.contains(address) || (derived.matches() && known.contains(derived.group(1))))
          .as("%s is a catalog topic or one of its retry or dead-letter topics", address)
          .isTrue();
    }
    for (Map<String, Object> operation : operations.values()) {
      assertThat(SERVICES)
          .as("services of %s", operation.get("summary"))
          .containsAll(tags(operation));
    }
  }

  private static Map<String, Object> channelOf(String address) {
    return channels.values().stream()
        .filter(channel -> address.equals(channel.get("address")))
        .findFirst()
        .orElse(null);
  }

  private static List<Map<String, Object>> operationsOn(String address) {
    String id =
        channels.entrySet().stream()
            .filter(entry -> address.equals(entry.getValue().get("address")))
            .map(Map.Entry::getKey)
            .findFirst()
            .orElseThrow();
    return operations.values().stream()
        .filter(op -> ("#/channels/" + id).equals(map(op.get("channel")).get("$ref")))
        .toList();
  }

  private static Set<String> messageNames(Map<String, Object> channel) {
    return map(channel.get("messages")).keySet();
  }

  private static List<Map<String, Object>> messagesOf(Map<String, Object> channel) {
    Map<String, Object> components = map(map(document.get("components")).get("messages"));
    return map(channel.get("messages")).values().stream()
        .map(ref -> (String) map(ref).get("$ref"))
        .map(ref -> map(components.get(ref.substring(ref.lastIndexOf('/') + 1))))
        .toList();
  }

  private static Map<String, Object> kafkaBinding(Map<String, Object> channel) {
    return map(map(channel.get("bindings")).get("kafka"));
  }

  @SuppressWarnings("unchecked")
  private static List<String> tags(Map<String, Object> operation) {
    Object tags = operation.get("tags");
    if (tags == null) {
      return List.of();
    }
    return ((List<Map<String, Object>>) tags)
        .stream().map(tag -> (String) tag.get("name")).toList();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value == null ? Map.of() : (Map<String, Object>) value;
  }

  private static String keyName(KeyType key) {
    return switch (key) {
      case POST_ID -> "postId";
      case JOB_ID -> "jobId";
      case REQUEST_ID -> "requestId";
      case USER_ID -> "userId";
      case NOTIFICATION_ID -> "notificationId";
      case REQUEST_CHUNK -> "requestId/chunk";
      case TENANT_USER -> "tenantId/userId";
    };
  }
}
