package io.herald.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.NotificationRequested;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Operators list dead letters with their decoded payload and error headers, filter them, and replay
 * them to the original topic once, with every replay in the audit log; other tenants' dead letters
 * stay out of sight.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(
    partitions = 1,
    topics = {"notification.requests.v1", "notification.requests.v1-dlt"})
class DeadLetterAdminIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final String DLT = "notification.requests.v1-dlt";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String TENANT = "dlt-" + UUID.randomUUID().toString().substring(0, 8);

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("herald.security.jwt-secret", () -> SECRET);
    registry.add("server.address", () -> "127.0.0.1");
  }

  @LocalServerPort int port;
  @Autowired EmbeddedKafkaBroker broker;

  private static boolean seeded;
  private static String templateMissing;
  private static String timeout;

  private WebTestClient http() {
    return WebTestClient.bindToServer()
        .baseUrl("http://127.0.0.1:" + port)
        .responseTimeout(Duration.ofSeconds(60))
        .build();
  }

  private synchronized void seed() {
    if (seeded) {
      return;
    }
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      templateMissing = request(TENANT);
      timeout = request(TENANT);
      producer.send(deadLetter(templateMissing, TENANT, "dlt", "template welcome not found"));
      producer.send(deadLetter(timeout, TENANT, "exception", "provider timed out"));
      producer.send(deadLetter(request("globex"), "globex", "dlt", "template welcome not found"));
      producer.flush();
    }
    seeded = true;
  }

  @Test
  void shouldListDeadLettersOfTheOperatorsTenantWithPayloadAndBothHeaderSchemes() throws Exception {
    seed();
    JsonNode page = list(operator(), "");

    List<JsonNode> items = new ArrayList<>();
    page.get("items").forEach(items::add);
    assertThat(items).extracting(item -> item.get("tenantId").asString()).containsOnly(TENANT);
    assertThat(items)
        .extracting(item -> item.get("key").asString())
        .contains(templateMissing, timeout);
    JsonNode first =
        items.stream()
            .filter(item -> item.get("key").asString().equals(templateMissing))
            .findFirst()
            .orElseThrow();
    assertThat(first.get("payload").get("requestId").asString()).isEqualTo(templateMissing);
    assertThat(first.get("payload").get("title").asString()).isEqualTo("Welcome");
    assertThat(first.get("reason").asString()).isEqualTo("template welcome not found");
    assertThat(first.get("originalTopic").asString()).isEqualTo("notification.requests.v1");
    assertThat(first.get("originalPartition").asInt()).isZero();
    assertThat(first.get("originalOffset").asLong()).isEqualTo(42);
    assertThat(first.get("errorHeaders").get("kafka_dlt-exception-message").asString())
        .isEqualTo("template welcome not found");
    assertThat(first.get("topic").asString()).isEqualTo(DLT);
    assertThat(first.get("timestamp").asString()).isNotBlank();
    JsonNode second =
        items.stream()
            .filter(item -> item.get("key").asString().equals(timeout))
            .findFirst()
            .orElseThrow();
    assertThat(second.get("errorHeaders").get("kafka_exception-message").asString())
        .isEqualTo("provider timed out");
    assertThat(second.get("reason").asString()).isEqualTo("provider timed out");

    JsonNode filtered = list(operator(), "?reason=TIMED");
    assertThat(filtered.get("items")).hasSize(1);
    assertThat(filtered.get("items").get(0).get("key").asString()).isEqualTo(timeout);
    JsonNode future = list(operator(), "?from=" + Instant.now().plusSeconds(3600));
    assertThat(future.get("items")).isEmpty();

    JsonNode sizes =
        JSON.readTree(
            http()
                .get()
                .uri("/api/admin/dead-letters")
                .header("Authorization", "Bearer " + operator())
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .returnResult()
                .getResponseBody());
    List<String> topics = new ArrayList<>();
    sizes.get("topics").forEach(topic -> topics.add(topic.get("topic").asString()));
    assertThat(topics).contains(DLT, "notification.email.v1-dlt", "content.approvals.v1-dlt");
  }

  @Test
  void shouldRefuseCallersWithoutTheOperatorRoleNamingIt() throws Exception {
    byte[] body =
        http()
            .get()
            .uri("/api/admin/dead-letters/" + DLT)
            .header("Authorization", "Bearer " + TestTokens.issue(SECRET, TENANT, "sam", "sender"))
            .exchange()
            .expectStatus()
            .isForbidden()
            .expectHeader()
            .contentType(MediaType.APPLICATION_PROBLEM_JSON)
            .expectBody()
            .returnResult()
            .getResponseBody();
    JsonNode problem = JSON.readTree(body);
    assertThat(problem.get("type").asString()).isEqualTo("https://herald.dev/problems/forbidden");
    assertThat(problem.get("missingRole").asString()).isEqualTo("operator");
  }

  @Test
  void shouldReplayOnceToTheOriginalTopicAndAuditEveryReplay() throws Exception {
    seed();
    String id = list(operator(), "?reason=template").get("items").get(0).get("id").asString();

    JsonNode firstReplay = replay("{\"ids\": [\"" + id + "\"]}");
    JsonNode secondReplay = replay("{\"matching\": {\"reason\": \"template\"}}");

    assertThat(firstReplay.get("replayed")).hasSize(1);
    assertThat(firstReplay.get("replayed").get(0).asString()).isEqualTo(id);
    assertThat(secondReplay.get("replayed")).isEmpty();
    assertThat(secondReplay.get("skipped").asInt()).isEqualTo(1);

    List<ConsumerRecord<String, byte[]>> replayed =
        KafkaTestClients.readAll(broker.getBrokersAsString(), "notification.requests.v1");
    List<ConsumerRecord<String, byte[]>> mine =
        replayed.stream().filter(r -> templateMissing.equals(r.key())).toList();
    assertThat(mine).as("replayed records of the dead letter").hasSize(1);
    Header from = mine.get(0).headers().lastHeader("herald-replayed-from");
    assertThat(new String(from.value(), StandardCharsets.UTF_8))
        .isEqualTo(DLT + "/" + id.replace('-', '/'));
    assertThat(
            new String(
                mine.get(0).headers().lastHeader("herald-replayed-by").value(),
                StandardCharsets.UTF_8))
        .isEqualTo("olga");
    assertThat(mine.get(0).headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_MESSAGE)).isNull();
    assertThat(mine.get(0).headers().lastHeader("traceparent")).isNotNull();
    assertThat(replayed).noneMatch(r -> r.key() != null && r.key().startsWith("globex-"));

    JsonNode audit =
        JSON.readTree(
            http()
                .get()
                .uri("/api/admin/replays")
                .header("Authorization", "Bearer " + operator())
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .returnResult()
                .getResponseBody());
    assertThat(audit.get("items")).hasSizeGreaterThanOrEqualTo(2);
    JsonNode newest = audit.get("items").get(0);
    JsonNode older = audit.get("items").get(1);
    assertThat(newest.get("operatorId").asString()).isEqualTo("olga");
    assertThat(newest.get("deadLetterTopic").asString()).isEqualTo(DLT);
    assertThat(newest.get("criteria").asString()).contains("template");
    assertThat(newest.get("skipped").asInt()).isEqualTo(1);
    assertThat(older.get("replayed")).hasSize(1);
    assertThat(older.get("replayedAt").asString()).isNotBlank();
  }

  private JsonNode replay(String body) throws Exception {
    return JSON.readTree(
        http()
            .post()
            .uri("/api/admin/dead-letters/" + DLT + "/replay")
            .header("Authorization", "Bearer " + operator())
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .returnResult()
            .getResponseBody());
  }

  private JsonNode list(String token, String query) throws Exception {
    return JSON.readTree(
        http()
            .get()
            .uri("/api/admin/dead-letters/" + DLT + query)
            .header("Authorization", "Bearer " + token)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .returnResult()
            .getResponseBody());
  }

  private static String operator() {
    return TestTokens.issue(SECRET, TENANT, "olga", "operator");
  }

  private static String request(String tenant) {
    return tenant + "-" + UUID.randomUUID();
  }

  /** A dead letter as Herald's listeners write it, with one of spring-kafka's header schemes. */
  private static ProducerRecord<String, Object> deadLetter(
      String requestId, String tenant, String scheme, String reason) {
    NotificationRequested event =
        NotificationRequested.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setRequestId(requestId)
            .setRequestedBy("alice")
            .setAudience(
                Audience.newBuilder().setUserIds(List.of("bob")).setRoles(List.of()).build())
            .setChannels(List.of(Channel.IN_APP))
            .setCategory("account")
            .setTemplate(null)
            .setTitle("Welcome")
            .setBody("Hello Bob")
            .setData(Map.of())
            .setIdempotencyKey(null)
            .build();
    ProducerRecord<String, Object> record = new ProducerRecord<>(DLT, requestId, event);
    String prefix = scheme.equals("dlt") ? "kafka_dlt-" : "kafka_";
    record
        .headers()
        .add(prefix + "exception-fqcn", "io.herald.Failure".getBytes(StandardCharsets.UTF_8));
    record.headers().add(prefix + "exception-message", reason.getBytes(StandardCharsets.UTF_8));
    record
        .headers()
        .add(
            scheme.equals("dlt") ? KafkaHeaders.DLT_ORIGINAL_TOPIC : KafkaHeaders.ORIGINAL_TOPIC,
            "notification.requests.v1".getBytes(StandardCharsets.UTF_8));
    if (scheme.equals("dlt")) {
      record
          .headers()
          .add(KafkaHeaders.DLT_ORIGINAL_PARTITION, ByteBuffer.allocate(4).putInt(0).array());
      record
          .headers()
          .add(KafkaHeaders.DLT_ORIGINAL_OFFSET, ByteBuffer.allocate(8).putLong(42).array());
    }
    record
        .headers()
        .add(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                .getBytes(StandardCharsets.UTF_8));
    return record;
  }
}
