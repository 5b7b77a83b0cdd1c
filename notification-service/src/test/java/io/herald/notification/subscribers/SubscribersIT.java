package io.herald.notification.subscribers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.SubscriberUpdated;
import io.herald.notification.ApiIntegrationTest;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * The subscriber store's two ways in — the HTTP API and the compacted topic — against a real
 * broker, registry and PostgreSQL: validation, roles, tenant isolation, tombstones, dead letters
 * and the removal of invalid contact points.
 */
class SubscribersIT extends ApiIntegrationTest {

  @Test
  void shouldCreateReadPatchPageAndDeleteSubscribersThroughTheApi() {
    String admin = token(tenant, "root", "admin");

    assertThat(
            api.call(
                    HttpMethod.PUT,
                    "/api/subscribers/bob",
                    admin,
                    """
                    {"roles":["editor"],"email":"bob@acme.example","phone":"+15550100002",
                     "locale":"pt-BR","timeZone":"Europe/Lisbon",
                     "pushContacts":[{"platform":"FCM","token":"fcm-1"},
                       {"platform":"WEB_PUSH","token":"https://push.example/s/1",
                        "keys":{"p256dh":"BNcR","auth":"tBHI"}}]}""")
                .getStatusCode()
                .value())
        .isEqualTo(202);
    api.call(HttpMethod.PUT, "/api/subscribers/amy", admin, "{\"roles\":[\"viewer\"]}");
    api.call(HttpMethod.PUT, "/api/subscribers/cid", admin, "{\"roles\":[\"editor\"]}");

    Map<String, Object> bob = awaitStatus("/api/subscribers/bob", admin, 200).getBody();
    assertThat(bob)
        .containsEntry("userId", "bob")
        .containsEntry("roles", List.of("editor"))
        .containsEntry("phone", "+15550100002")
        .containsEntry("locale", "pt-BR")
        .containsEntry("timeZone", "Europe/Lisbon");
    assertThat((List<?>) bob.get("pushContacts")).hasSize(2);

    api.call(
        HttpMethod.PATCH,
        "/api/subscribers/bob",
        admin,
        "{\"phone\":null,\"locale\":\"pt\",\"pushContacts\":[{\"platform\":\"FCM\",\"token\":\"fcm-2\"}]}");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "pt".equals(api.get("/api/subscribers/bob", admin).getBody().get("locale")));
    Map<String, Object> patched = api.get("/api/subscribers/bob", admin).getBody();
    assertThat(patched).containsEntry("email", "bob@acme.example").containsEntry("phone", null);
    assertThat((List<?>) patched.get("pushContacts")).hasSize(1);

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> api.get("/api/subscribers/cid", admin).getStatusCode().value() == 200);
    Map<String, Object> first = api.get("/api/subscribers?limit=2", admin).getBody();
    assertThat((List<Map<String, Object>>) first.get("items"))
        .extracting(m -> m.get("userId"))
        .containsExactly("amy", "bob");
    Map<String, Object> second =
        api.get("/api/subscribers?limit=2&cursor=" + first.get("nextCursor"), admin).getBody();
    assertThat((List<Map<String, Object>>) second.get("items"))
        .extracting(m -> m.get("userId"))
        .containsExactly("cid");
    assertThat(second.get("nextCursor")).isNull();
    assertThat(
            (List<Map<String, Object>>)
                api.get("/api/subscribers?role=editor", admin).getBody().get("items"))
        .extracting(m -> m.get("userId"))
        .containsExactly("bob", "cid");

    assertThat(
            api.call(HttpMethod.DELETE, "/api/subscribers/bob", admin, null)
                .getStatusCode()
                .value())
        .isEqualTo(202);
    awaitStatus("/api/subscribers/bob", admin, 404);
    assertThat(
            PostgresTestDatabase.shared()
                .count(
                    "SELECT count(*) FROM push_contacts WHERE tenant_id = '"
                        + tenant
                        + "' AND user_id = 'bob'"))
        .isZero();
  }

  @Test
  void shouldRejectAnInvalidProfileWithAProblemNamingEveryField() {
    ResponseEntity<Map<String, Object>> response =
        api.call(
            HttpMethod.PUT,
            "/api/subscribers/bob",
            token(tenant, "root", "admin"),
            """
            {"phone":"5550100","timeZone":"Mars/Olympus","locale":"not a tag!",
             "pushContacts":[{"platform":"WEB_PUSH","token":"http://insecure.example/1"},
                             {"platform":"APNS","token":"x"}]}""");

    assertThat(response.getStatusCode().value()).isEqualTo(400);
    assertThat(response.getHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(response.getBody())
        .containsEntry("type", "https://herald.dev/problems/validation-failed");
    assertThat((List<Map<String, String>>) response.getBody().get("errors"))
        .extracting(e -> e.get("field"))
        .containsExactlyInAnyOrder(
            "phone",
            "timeZone",
            "locale",
            "pushContacts[0].token",
            "pushContacts[0].keys",
            "pushContacts[1].platform");
  }

  @Test
  void shouldLetAUserChangeTheirOwnContactPointsButNotTheirRolesNorOthers() {
    String admin = token(tenant, "root", "admin");
    api.call(HttpMethod.PUT, "/api/subscribers/eve", admin, "{\"roles\":[\"viewer\"]}");
    api.call(HttpMethod.PUT, "/api/subscribers/bob", admin, "{\"roles\":[\"viewer\"]}");
    String eve = token(tenant, "eve");
    awaitStatus("/api/subscribers/eve", eve, 200);

    assertThat(
            api.call(HttpMethod.PATCH, "/api/subscribers/eve", eve, "{\"email\":\"eve@x.example\"}")
                .getStatusCode()
                .value())
        .isEqualTo(202);
    ResponseEntity<Map<String, Object>> promote =
        api.call(HttpMethod.PATCH, "/api/subscribers/eve", eve, "{\"roles\":[\"admin\"]}");
    assertThat(promote.getStatusCode().value()).isEqualTo(403);
    assertThat(promote.getBody()).containsEntry("type", "https://herald.dev/problems/forbidden");
    assertThat(api.get("/api/subscribers/bob", eve).getStatusCode().value()).isEqualTo(403);
    assertThat(api.get("/api/subscribers", eve).getStatusCode().value()).isEqualTo(403);
    assertThat(
            api.call(HttpMethod.DELETE, "/api/subscribers/eve", eve, null).getStatusCode().value())
        .isEqualTo(403);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                "eve@x.example"
                    .equals(api.get("/api/subscribers/eve", eve).getBody().get("email")));
    assertThat(api.get("/api/subscribers/eve", eve).getBody())
        .containsEntry("roles", List.of("viewer"));
  }

  @Test
  void shouldNeverShowOneTenantsSubscribersToAnother() {
    api.call(HttpMethod.PUT, "/api/subscribers/bob", token(tenant, "root", "admin"), "{}");
    awaitStatus("/api/subscribers/bob", token(tenant, "root", "admin"), 200);
    String otherAdmin = token("other-" + tenant, "root", "admin");

    assertThat(api.get("/api/subscribers/bob", otherAdmin).getStatusCode().value()).isEqualTo(404);
    assertThat((List<?>) api.get("/api/subscribers", otherAdmin).getBody().get("items")).isEmpty();
    assertThat(
            api.call(
                    HttpMethod.PATCH,
                    "/api/subscribers/bob",
                    otherAdmin,
                    "{\"email\":\"x@y.example\"}")
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(
            api.call(HttpMethod.DELETE, "/api/subscribers/bob", otherAdmin, null)
                .getStatusCode()
                .value())
        .isEqualTo(404);
  }

  @Test
  void shouldApplyProfilesAndTombstonesFromTheTopicAndDeadLetterInvalidOnes() throws Exception {
    String admin = token(tenant, "root", "admin");
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      producer.send(record("ann", profile("ann", "+15550199999"))).get();
      producer.send(record("bad", profile("bad", "0800-not-e164"))).get();
      producer.send(record("zoe", profile("zoe", null))).get();
    }
    awaitStatus("/api/subscribers/ann", admin, 200);
    awaitStatus("/api/subscribers/zoe", admin, 200);
    // The topic has three partitions: the invalid record is processed on its own schedule.
    ConsumerRecord<String, byte[]> dead =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    KafkaTestClients.readAll(
                            broker.getBrokersAsString(), "notification.subscribers.v1-dlt")
                        .stream()
                        .filter(r -> (tenant + "/bad").equals(r.key()))
                        .findFirst(),
                java.util.Optional::isPresent)
            .orElseThrow();
    assertThat(api.get("/api/subscribers/bad", admin).getStatusCode().value()).isEqualTo(404);
    assertThat(
            new String(
                dead.headers().lastHeader("kafka_dlt-exception-message").value(),
                StandardCharsets.UTF_8))
        .contains("phone");

    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      producer
          .send(new ProducerRecord<>("notification.subscribers.v1", tenant + "/ann", null))
          .get();
    }
    awaitStatus("/api/subscribers/ann", admin, 404);
    assertThat(api.get("/api/subscribers/zoe", admin).getStatusCode().value()).isEqualTo(200);
  }

  @Test
  void shouldRemoveOnlyTheContactPointAProviderReportedInvalid() throws Exception {
    String admin = token(tenant, "root", "admin");
    api.call(
        HttpMethod.PUT,
        "/api/subscribers/bob",
        admin,
        """
        {"email":"bob@acme.example","phone":"+15550100002",
         "pushContacts":[{"platform":"FCM","token":"dead-token"},{"platform":"FCM","token":"live-token"}]}""");
    awaitStatus("/api/subscribers/bob", admin, 200);

    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      producer.send(invalid(Channel.PUSH, "dead-token")).get();
      producer.send(invalid(Channel.EMAIL, "bob@acme.example")).get();
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Map<String, Object> bob = api.get("/api/subscribers/bob", admin).getBody();
              assertThat(bob.get("email")).isNull();
              assertThat((List<Map<String, Object>>) bob.get("pushContacts"))
                  .extracting(c -> c.get("token"))
                  .containsExactly("live-token");
              assertThat(bob).containsEntry("phone", "+15550100002");
            });
  }

  private ProducerRecord<String, Object> invalid(Channel channel, String contact) {
    String notification = UUID.randomUUID().toString();
    return new ProducerRecord<>(
        "notification.delivery-status.v1",
        notification,
        ContactPointInvalid.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setNotificationId(notification)
            .setUserId("bob")
            .setChannel(channel)
            .setContact(contact)
            .setReason("the provider no longer knows it")
            .build());
  }

  private ProducerRecord<String, Object> record(String user, SubscriberUpdated value) {
    return new ProducerRecord<>("notification.subscribers.v1", tenant + "/" + user, value);
  }

  private SubscriberUpdated profile(String user, String phone) {
    return SubscriberUpdated.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setUserId(user)
        .setPhone(phone)
        .build();
  }

  private ResponseEntity<Map<String, Object>> awaitStatus(String path, String token, int status) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get(path, token), r -> r.getStatusCode().value() == status);
  }

  private static String token(String tenant, String user, String... roles) {
    return TestTokens.issue(SECRET, tenant, user, roles);
  }
}
