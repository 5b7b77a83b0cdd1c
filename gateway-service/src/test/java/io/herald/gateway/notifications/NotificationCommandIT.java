package io.herald.gateway.notifications;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway against a real KRaft broker and a real Apicurio Registry: commands become
 * Confluent-framed Avro records, errors become problem documents.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(partitions = 1)
class NotificationCommandIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final String BODY =
      """
      {"recipients": {"userIds": ["bob"]}, "channels": ["IN_APP", "EMAIL"],
       "category": "account", "title": "Welcome", "body": "Hello Bob", "data": {"k": "v"}}
      """;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("herald.security.jwt-secret", () -> SECRET);
    registry.add("server.address", () -> "127.0.0.1");
  }

  @LocalServerPort int port;
  @Autowired EmbeddedKafkaBroker broker;

  private WebTestClient http;
  private KafkaConsumer<String, byte[]> rawConsumer;

  @BeforeEach
  void setUp() {
    http = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build();
    rawConsumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.getBrokersAsString(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "raw-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    rawConsumer.subscribe(List.of("notification.requests.v1"));
  }

  @AfterEach
  void tearDown() {
    rawConsumer.close();
  }

  @Test
  void shouldPublishConfluentFramedAvroThatDecodesWithRegistrySchemaOnly() throws Exception {
    String requestId = accept(token("acme", "alice"), null);

    ConsumerRecord<String, byte[]> record = recordWithKey(requestId);
    assertThat(record.headers().lastHeader("traceparent"))
        .as("W3C trace context header")
        .isNotNull()
        .satisfies(
            h ->
                assertThat(new String(h.value(), StandardCharsets.UTF_8))
                    .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]"));
    GenericRecord event = decode(record);

    assertThat(event.getSchema().getFullName())
        .isEqualTo("io.herald.events.v1.NotificationRequested");
    assertThat(event.get("requestId").toString()).isEqualTo(requestId);
    assertThat(event.get("tenantId").toString()).isEqualTo("acme");
    assertThat(event.get("requestedBy").toString()).isEqualTo("alice");
    assertThat(event.get("title").toString()).isEqualTo("Welcome");
    assertThat(((GenericRecord) event.get("audience")).get("userIds").toString()).contains("bob");
    String subjects =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(ApicurioRegistryServer.shared().ccompatUrl() + "/subjects"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(subjects).contains("notification.requests.v1-NotificationRequested");
  }

  @Test
  void shouldGiveTheSameRequestIdForTheSameIdempotencyKey() {
    String token = token("acme", "alice");
    String first = accept(token, "order-42-shipped");
    String second = accept(token, "order-42-shipped");
    String otherUser = accept(token("acme", "carol"), "order-42-shipped");

    assertThat(second).isEqualTo(first);
    assertThat(otherUser).isNotEqualTo(first);
  }

  @Test
  void shouldRefuseRequestWithoutTokenAsProblem() {
    http.post()
        .uri("/api/notifications")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(BODY)
        .exchange()
        .expectStatus()
        .isUnauthorized()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/unauthorized");
  }

  @Test
  void shouldRefuseTokenOfAnotherIssuerSecret() {
    String forged =
        new TokenIssuer(
                "another-secret-another-secret-another".getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC())
            .issue(new HeraldPrincipal("acme", "alice", List.of()), Duration.ofMinutes(5));

    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + forged)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(BODY)
        .exchange()
        .expectStatus()
        .isUnauthorized()
        .expectBody()
        .jsonPath("$.detail")
        .isEqualTo("token signature is not valid");
  }

  @Test
  void shouldExplainEveryInvalidFieldAsProblem() {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token("acme", "alice"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            """
            {"recipients": {"userIds": []}, "channels": ["FAX"], "category": "Bad Category"}
            """)
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/validation-failed")
        .jsonPath("$.errors[?(@.field == 'recipients.notEmpty')].message")
        .isEqualTo("name at least one user id or role")
        .jsonPath("$.errors[?(@.field == 'channels[0]')]")
        .exists()
        .jsonPath("$.errors[?(@.field == 'category')]")
        .exists()
        .jsonPath("$.errors[?(@.field == 'contentGiven')].message")
        .isEqualTo("give a template, or a title and a body");
  }

  @Test
  void shouldRefuseUnreadableJsonAsProblem() {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token("acme", "alice"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{not json")
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/malformed-request");
  }

  @Test
  void shouldRefuseMalformedIdempotencyKey() {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token("acme", "alice"))
        .header("Idempotency-Key", "has spaces")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(BODY)
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/invalid-idempotency-key");
  }

  @Test
  void shouldContinueTheCallersTraceOnTheEvent() {
    // 32 hex digits, as W3C trace ids are.
    String traceId = UUID.randomUUID().toString().replace("-", "");
    NotificationAccepted accepted =
        http.post()
            .uri("/api/notifications")
            .header("Authorization", "Bearer " + token("acme", "alice"))
            .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(BODY)
            .exchange()
            .expectStatus()
            .isAccepted()
            .expectBody(NotificationAccepted.class)
            .returnResult()
            .getResponseBody();

    ConsumerRecord<String, byte[]> record = recordWithKey(accepted.requestId());
    assertThat(
            new String(record.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8))
        .as("the event's trace is the caller's")
        .startsWith("00-" + traceId + "-");
  }

  @Test
  void shouldHoldANotificationForLaterWithSendAtOrDelay() throws Exception {
    Instant before = Instant.now();
    NotificationAccepted delayed =
        post(token("acme", "alice"), withSchedule("\"delay\": \"PT10M\""));
    assertThat(delayed.status()).isEqualTo("SCHEDULED");
    assertThat(delayed.sendAt())
        .isBetween(before.plus(Duration.ofMinutes(10)), Instant.now().plus(Duration.ofMinutes(10)));
    GenericRecord event = decode(recordWithKey(delayed.requestId()));
    assertThat(Instant.ofEpochMilli((Long) event.get("sendAt")))
        .isEqualTo(delayed.sendAt().truncatedTo(ChronoUnit.MILLIS));

    Instant at = Instant.now().minus(Duration.ofDays(1));
    Instant christmas = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
    NotificationAccepted scheduled =
        post(token("acme", "alice"), withSchedule("\"sendAt\": \"" + christmas + "\""));
    assertThat(scheduled.sendAt()).isEqualTo(christmas);
    assertThat(decode(recordWithKey(scheduled.requestId())).get("sendAt"))
        .isEqualTo(christmas.toEpochMilli());

    NotificationAccepted nineLocal =
        post(token("acme", "alice"), withSchedule("\"localTime\": \"09:00\""));
    assertThat(nineLocal.status()).isEqualTo("SCHEDULED");
    assertThat(nineLocal.localTime()).isEqualTo("09:00");
    assertThat(nineLocal.sendAt()).isNull();
    GenericRecord local = decode(recordWithKey(nineLocal.requestId()));
    assertThat(local.get("localTime").toString()).isEqualTo("09:00");
    assertThat(local.get("sendAt")).isNull();

    // A fallback chain, alone: push, then e-mail after ten minutes without a delivered status.
    NotificationAccepted chained =
        post(
            token("acme", "alice"),
            """
            {"recipients": {"userIds": ["bob"]}, "category": "account", "title": "Hi",
             "body": "Hello", "fallback": [{"channel": "PUSH", "wait": "PT10M"},
                                           {"channel": "EMAIL"}]}
            """);
    assertThat(chained.status()).isEqualTo("ACCEPTED");
    GenericRecord chain = decode(recordWithKey(chained.requestId()));
    assertThat(chain.get("channels").toString()).isEqualTo("[]");
    assertThat(chain.get("fallback").toString())
        .contains("\"channel\": \"PUSH\"")
        .contains("\"waitMillis\": 600000")
        .contains("\"channel\": \"EMAIL\"");

    // A time already past sends at once.
    NotificationAccepted past =
        post(token("acme", "alice"), withSchedule("\"sendAt\": \"" + at + "\""));
    assertThat(past.status()).isEqualTo("ACCEPTED");
    assertThat(past.sendAt()).isNull();
    assertThat(decode(recordWithKey(past.requestId())).get("sendAt")).isNull();
  }

  @Test
  void shouldRefuseScheduleThatCannotBeKept() {
    refuse(
        withSchedule("\"delay\": \"PT1H\", \"sendAt\": \"2030-01-01T00:00:00Z\""),
        "oneScheduleGiven");
    refuse(withSchedule("\"delay\": \"-PT1H\""), "delayNotNegative");
    refuse(withSchedule("\"localTime\": \"25:00\""), "localTime");
    refuse(
        withSchedule("\"fallback\": [{\"channel\": \"PUSH\"}, {\"channel\": \"EMAIL\"}]"),
        "fallbackDistinct");
    refuse(
        withSchedule("\"fallback\": [{\"channel\": \"PUSH\"}, {\"channel\": \"WHATSAPP\"}]"),
        "fallbackWaitGiven");
    refuse(
        withSchedule(
            "\"fallback\": [{\"channel\": \"PUSH\", \"wait\": \"P8D\"}, {\"channel\": \"WHATSAPP\"}]"),
        "fallbackWaitGiven");
    refuse(withSchedule("\"fallback\": [{\"channel\": \"PUSH\", \"wait\": \"PT1M\"}]"), "fallback");
    refuse(
        withSchedule(
            "\"fallback\": [{\"channel\": \"IN_APP\", \"wait\": \"PT1M\"}, {\"channel\": \"PUSH\"}]"),
        "fallback[0].channel");
    refuse(withSchedule("\"localTime\": \"09:00\", \"delay\": \"PT1H\""), "oneScheduleGiven");
    refuse(withSchedule("\"delay\": \"P400D\""), "delay");
    refuse(
        withSchedule("\"sendAt\": \"" + Instant.now().plus(Duration.ofDays(400)) + "\""), "sendAt");
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token("acme", "alice"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(withSchedule("\"sendAt\": \"tomorrow\""))
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON);
  }

  @Test
  void shouldPublishACancellationOfTheCallersOrAnAdminsRequest() throws Exception {
    String requestId = UUID.randomUUID().toString();
    NotificationAccepted answer =
        http.delete()
            .uri("/api/notifications/requests/" + requestId)
            .header("Authorization", "Bearer " + TestTokens.issue(SECRET, "acme", "root", "admin"))
            .exchange()
            .expectStatus()
            .isAccepted()
            .expectBody(NotificationAccepted.class)
            .returnResult()
            .getResponseBody();
    assertThat(answer.status()).isEqualTo("CANCEL_REQUESTED");
    assertThat(answer.requestId()).isEqualTo(requestId);
    GenericRecord cancel = decode(recordWithKey(requestId));
    assertThat(cancel.getSchema().getFullName())
        .isEqualTo("io.herald.events.v1.NotificationCancelRequested");
    assertThat(cancel.get("tenantId").toString()).isEqualTo("acme");
    assertThat(cancel.get("requestedBy").toString()).isEqualTo("root");
    assertThat(cancel.get("asAdmin")).isEqualTo(true);

    http.delete()
        .uri("/api/notifications/requests/not a request")
        .header("Authorization", "Bearer " + token("acme", "alice"))
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/validation-failed")
        .jsonPath("$.errors[0].field")
        .isEqualTo("requestId");
  }

  private static String withSchedule(String member) {
    return BODY.trim().substring(0, BODY.trim().length() - 1) + ", " + member + "}";
  }

  private void refuse(String body, String field) {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token("acme", "alice"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.errors[?(@.field == '" + field + "')]")
        .exists();
  }

  private NotificationAccepted post(String token, String body) {
    return post(token, null, body);
  }

  private NotificationAccepted post(String token, String idempotencyKey, String body) {
    return http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token)
        .headers(
            h -> {
              if (idempotencyKey != null) {
                h.add("Idempotency-Key", idempotencyKey);
              }
            })
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus()
        .isAccepted()
        .expectBody(NotificationAccepted.class)
        .returnResult()
        .getResponseBody();
  }

  /**
   * A record's value decoded as a Confluent-style consumer would: the writer's schema by the id in
   * its header, through the Confluent-compatible API, and plain Avro.
   */
  private static GenericRecord decode(ConsumerRecord<String, byte[]> record) throws Exception {
    ByteBuffer wire = ByteBuffer.wrap(record.value());
    assertThat(wire.get()).as("Confluent magic byte").isZero();
    int schemaId = wire.getInt();
    String schemaJson =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            ApicurioRegistryServer.shared().ccompatUrl()
                                + "/schemas/ids/"
                                + schemaId))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    JsonNode schemaDocument = JsonMapper.builder().build().readTree(schemaJson);
    Schema writer = new Schema.Parser().parse(schemaDocument.get("schema").asString());
    byte[] payload = new byte[wire.remaining()];
    wire.get(payload);
    return new GenericDatumReader<GenericRecord>(writer)
        .read(null, DecoderFactory.get().binaryDecoder(payload, null));
  }

  private String accept(String token, String idempotencyKey) {
    NotificationAccepted accepted = post(token, idempotencyKey, BODY);
    assertThat(accepted).isNotNull();
    assertThat(accepted.status()).isEqualTo("ACCEPTED");
    return accepted.requestId();
  }

  private ConsumerRecord<String, byte[]> recordWithKey(String key) {
    List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      rawConsumer.poll(Duration.ofMillis(500)).forEach(seen::add);
      for (ConsumerRecord<String, byte[]> r : seen) {
        if (key.equals(r.key())) {
          return r;
        }
      }
    }
    throw new AssertionError("no record with key " + key + " among " + seen.size());
  }

  private static String token(String tenant, String user) {
    return TestTokens.issue(SECRET, tenant, user);
  }
}
