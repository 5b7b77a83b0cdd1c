package io.herald.gateway.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.events.v1.Channel;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliveryRead;
import io.herald.support.events.DeliveryEvents;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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

/**
 * The WhatsApp webhook against a real broker and registry: signed status callbacks become
 * delivery-status events correlated to Herald's delivery; unsigned ones publish nothing.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(partitions = 1, topics = "notification.delivery-status.v1")
class WhatsAppWebhookIT {

  private static final String APP_SECRET = "app-secret-" + UUID.randomUUID();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("herald.security.jwt-secret", () -> UUID.randomUUID() + "-" + UUID.randomUUID());
    registry.add("herald.webhooks.whatsapp.app-secret", () -> APP_SECRET);
    registry.add("herald.webhooks.whatsapp.verify-token", () -> "verify-me");
    registry.add("server.address", () -> "127.0.0.1");
  }

  @LocalServerPort int port;
  @Autowired EmbeddedKafkaBroker broker;

  private WebTestClient http;
  private KafkaConsumer<String, Object> statuses;

  @BeforeEach
  void setUp() {
    // The first callback of a context registers the status schemas and fetches topic metadata.
    http =
        WebTestClient.bindToServer()
            .baseUrl("http://127.0.0.1:" + port)
            .responseTimeout(java.time.Duration.ofSeconds(30))
            .build();
    statuses =
        KafkaTestClients.avroConsumer(
            broker.getBrokersAsString(), "notification.delivery-status.v1");
  }

  @AfterEach
  void close() {
    statuses.close();
  }

  @Test
  void shouldAnswerMetasVerificationChallengeOnlyWithTheRightToken() {
    http.get()
        .uri(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(String.class)
        .isEqualTo("1158201444");
    http.get()
        .uri(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444")
        .exchange()
        .expectStatus()
        .isForbidden()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON);
  }

  @Test
  void shouldPublishDeliveredAndReadStatusesOfASignedCallback() {
    DeliveryEvents.Subject subject = subject();
    String body =
        callback(
            status("wamid.ABC1", "delivered", subject, ""),
            status("wamid.ABC1", "read", subject, ""));

    post(body, WebhookSignature.sign(bytes(body), APP_SECRET)).expectStatus().isOk();

    DeliveryDelivered delivered =
        KafkaTestClients.awaitValues(
                statuses,
                DeliveryDelivered.class,
                d -> d.getDeliveryId().equals(subject.deliveryId()),
                1)
            .get(0);
    assertThat(delivered.getProviderMessageId()).isEqualTo("wamid.ABC1");
    assertThat(delivered.getTenantId()).isEqualTo("acme");
    assertThat(delivered.getNotificationId()).isEqualTo(subject.notificationId());
    assertThat(delivered.getUserId()).isEqualTo("alice");
    assertThat(delivered.getChannel()).isEqualTo(Channel.WHATSAPP);
    assertThat(delivered.getOccurredAt()).isEqualTo(Instant.ofEpochSecond(1767225600));
    assertThat(
            KafkaTestClients.readAllValues(
                broker.getBrokersAsString(),
                "notification.delivery-status.v1",
                DeliveryRead.class,
                r -> r.getDeliveryId().equals(subject.deliveryId())))
        .hasSize(1);
  }

  @Test
  void shouldPublishAFailedStatusAsFinalFailureAndInvalidNumber() {
    DeliveryEvents.Subject subject = subject();
    String error =
        ",\"errors\":[{\"code\":131026,\"title\":\"Message undeliverable\","
            + "\"error_data\":{\"details\":\"Message Undeliverable.\"}}]";
    String body = callback(status("wamid.ABC2", "failed", subject, error));

    post(body, WebhookSignature.sign(bytes(body), APP_SECRET)).expectStatus().isOk();

    DeliveryFailed failed =
        KafkaTestClients.awaitValues(
                statuses,
                DeliveryFailed.class,
                d -> d.getDeliveryId().equals(subject.deliveryId()),
                1)
            .get(0);
    assertThat(failed.getErrorCode()).isEqualTo("131026");
    assertThat(failed.getFinal$()).isTrue();
    // Published together with the failure, in the same callback.
    ContactPointInvalid invalid =
        KafkaTestClients.readAllValues(
                broker.getBrokersAsString(),
                "notification.delivery-status.v1",
                ContactPointInvalid.class,
                d -> subject.deliveryId().equals(d.getDeliveryId()))
            .get(0);
    assertThat(invalid.getContact()).isEqualTo("+15550100001");
  }

  @Test
  void shouldRefuseACallbackWithAMissingOrWrongSignatureAndPublishNothing() {
    DeliveryEvents.Subject subject = subject();
    String body = callback(status("wamid.ABC3", "delivered", subject, ""));

    post(body, null)
        .expectStatus()
        .isUnauthorized()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON);
    post(body, WebhookSignature.sign(bytes(body), "another-secret"))
        .expectStatus()
        .isUnauthorized();
    post(body.replace("delivered", "read"), WebhookSignature.sign(bytes(body), APP_SECRET))
        .expectStatus()
        .isUnauthorized();
    // A signed callback after the refused ones: once its status is out, nothing else came.
    DeliveryEvents.Subject marker = subject();
    String signed = callback(status("wamid.ABC4", "delivered", marker, ""));
    post(signed, WebhookSignature.sign(bytes(signed), APP_SECRET)).expectStatus().isOk();
    KafkaTestClients.awaitValues(
        statuses, DeliveryDelivered.class, d -> d.getDeliveryId().equals(marker.deliveryId()), 1);

    List<SpecificRecord> published =
        KafkaTestClients.readAllValues(
            broker.getBrokersAsString(),
            "notification.delivery-status.v1",
            SpecificRecord.class,
            r ->
                String.valueOf(r.get(r.getSchema().getField("notificationId").pos()))
                    .equals(subject.notificationId()));
    assertThat(published).isEmpty();
  }

  private WebTestClient.ResponseSpec post(String body, String signature) {
    WebTestClient.RequestBodySpec request =
        http.post().uri("/webhooks/whatsapp").contentType(MediaType.APPLICATION_JSON);
    if (signature != null) {
      request = request.header("X-Hub-Signature-256", signature);
    }
    return request.bodyValue(bytes(body)).exchange();
  }

  private static DeliveryEvents.Subject subject() {
    return new DeliveryEvents.Subject(
        "acme",
        UUID.randomUUID().toString(),
        UUID.randomUUID().toString(),
        "alice",
        Channel.WHATSAPP);
  }

  /** A status object as the Cloud API sends it. */
  private static String status(
      String id, String status, DeliveryEvents.Subject subject, String extra) {
    return "{\"id\":\""
        + id
        + "\",\"status\":\""
        + status
        + "\",\"timestamp\":\"1767225600\",\"recipient_id\":\"15550100001\","
        + "\"biz_opaque_callback_data\":\""
        + subject.callbackData()
        + "\""
        + extra
        + "}";
  }

  private static String callback(String... statuses) {
    return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\","
        + "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
        + "{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"106540352242922\"},"
        + "\"statuses\":["
        + String.join(",", statuses)
        + "]},\"field\":\"messages\"}]}]}";
  }

  private static byte[] bytes(String body) {
    return body.getBytes(StandardCharsets.UTF_8);
  }
}
