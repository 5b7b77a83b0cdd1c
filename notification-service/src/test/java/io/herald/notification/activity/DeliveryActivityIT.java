package io.herald.notification.activity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

/**
 * A notification followed to an outcome for every recipient and channel: what the fan-out recorded
 * (requested, skipped, in-app delivered), what the workers reported on {@code
 * notification.delivery-status.v1} (sent, retried, delivered, dead-lettered; each event twice, as a
 * redelivery brings it), and the read of an in-app item, as the sender and the tenant's admins see
 * it.
 */
class DeliveryActivityIT extends ApiIntegrationTest {

  @org.springframework.beans.factory.annotation.Autowired private ActivityRetention retention;

  @Test
  @SuppressWarnings("unchecked")
  void shouldFollowEveryRecipientAndChannelToItsOutcome() throws Exception {
    subscriber("alice", "{\"email\":\"alice@x.example\"}");
    subscriber("bob", "{}");
    subscriber("carol", "{\"email\":\"carol@x.example\"}");
    NotificationRequested request =
        TestRequests.request(
            tenant,
            List.of("alice", "bob", "carol"),
            List.of(),
            List.of(Channel.IN_APP, Channel.EMAIL));
    request.setRequestedBy("sam");
    send(request);
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(request).size() == 2);
    EmailDeliveryRequested toAlice = emailTo(request, "alice");
    EmailDeliveryRequested toCarol = emailTo(request, "carol");

    // What the e-mail worker reports: alice's is sent and delivered; carol's fails, is retried,
    // and fails for good. Every event arrives twice.
    Instant t = Instant.now();
    List<SpecificRecord> statuses =
        List.of(
            DeliverySent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setTenantId(tenant)
                .setOccurredAt(t.plusMillis(10))
                .setDeliveryId(toAlice.getDeliveryId())
                .setNotificationId(request.getRequestId())
                .setUserId("alice")
                .setChannel(Channel.EMAIL)
                .setProvider("smtp")
                .setProviderMessageId("<m-1@x.example>")
                .setAttempt(1)
                .build(),
            DeliveryDelivered.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setTenantId(tenant)
                .setOccurredAt(t.plusMillis(20))
                .setDeliveryId(toAlice.getDeliveryId())
                .setNotificationId(request.getRequestId())
                .setUserId("alice")
                .setChannel(Channel.EMAIL)
                .setProviderMessageId("<m-1@x.example>")
                .build(),
            failed(request, toCarol, t.plusMillis(10), false, 1, "421 try again later"),
            failed(request, toCarol, t.plusMillis(30), true, 2, "550 mailbox unavailable"));
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      for (int copy = 0; copy < 2; copy++) {
        for (SpecificRecord status : statuses) {
          producer.send(new ProducerRecord<>("notification.delivery-status.v1", "k", status)).get();
        }
      }
    }
    String sam = api.token(tenant, "sam");
    String alice = api.token(tenant, "alice");
    String item = (String) firstItem(alice).get("id");
    assertThat(
            api.call(HttpMethod.POST, "/api/notifications/" + item + "/read", alice, null)
                .getStatusCode()
                .value())
        .isEqualTo(200);

    String path = "/api/notifications/requests/" + request.getRequestId() + "/activity";
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Map<String, Object> body = api.get(path, sam).getBody();
              Map<String, Object> summary = (Map<String, Object>) body.get("summary");
              assertThat(summary)
                  .containsEntry("recipients", 3)
                  .containsEntry("deliveries", 6)
                  .containsEntry("pending", 0);
              assertThat((Map<String, Object>) summary.get("channels"))
                  .isEqualTo(
                      Map.of(
                          "EMAIL", Map.of("DELIVERED", 1, "DEAD_LETTERED", 1, "SKIPPED", 1),
                          "IN_APP", Map.of("DELIVERED", 2, "READ", 1)));
            });

    Map<String, Object> body = api.get(path, sam).getBody();
    assertThat(body)
        .containsEntry("requestId", request.getRequestId())
        .containsEntry("requestedBy", "sam")
        .containsEntry("channels", List.of("IN_APP", "EMAIL"))
        .containsEntry("nextCursor", null);
    List<Map<String, Object>> recipients = (List<Map<String, Object>>) body.get("recipients");
    assertThat(recipients)
        .extracting(r -> r.get("userId"))
        .containsExactly("alice", "bob", "carol");

    Map<String, Object> aliceEmail = delivery(recipients.get(0), "EMAIL");
    assertThat(aliceEmail)
        .containsEntry("deliveryId", toAlice.getDeliveryId())
        .containsEntry("outcome", "DELIVERED");
    List<Map<String, Object>> aliceSteps = (List<Map<String, Object>>) aliceEmail.get("events");
    assertThat(aliceSteps)
        .extracting(s -> s.get("status"))
        .containsExactly("REQUESTED", "SENT", "DELIVERED");
    assertThat(aliceSteps.get(1))
        .containsEntry("provider", "smtp")
        .containsEntry("providerMessageId", "<m-1@x.example>")
        .containsEntry("attempt", 1);
    assertThat(delivery(recipients.get(0), "IN_APP"))
        .containsEntry("deliveryId", item)
        .containsEntry("outcome", "READ");
    assertThat((List<Map<String, Object>>) delivery(recipients.get(0), "IN_APP").get("events"))
        .extracting(s -> s.get("status"))
        .containsExactly("DELIVERED", "READ");

    Map<String, Object> bobEmail = delivery(recipients.get(1), "EMAIL");
    assertThat(bobEmail).containsEntry("outcome", "SKIPPED");
    assertThat((List<Map<String, Object>>) bobEmail.get("events"))
        .singleElement()
        .satisfies(s -> assertThat(s).containsEntry("reason", "no-contact"));

    Map<String, Object> carolEmail = delivery(recipients.get(2), "EMAIL");
    assertThat(carolEmail).containsEntry("outcome", "DEAD_LETTERED");
    List<Map<String, Object>> carolSteps = (List<Map<String, Object>>) carolEmail.get("events");
    assertThat(carolSteps)
        .extracting(s -> s.get("status"))
        .containsExactly("REQUESTED", "FAILED", "DEAD_LETTERED");
    assertThat(carolSteps.get(1))
        .containsEntry("retried", true)
        .containsEntry("attempt", 1)
        .containsEntry("reason", "smtp-transient: 421 try again later");
    assertThat(carolSteps.get(2))
        .containsEntry("attempt", 2)
        .containsEntry("reason", "smtp-transient: 550 mailbox unavailable");

    // Page by page, one recipient each: the summary comes with the first page only.
    List<Object> paged = new ArrayList<>();
    String cursor = null;
    do {
      Map<String, Object> page =
          api.get(path + "?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), sam).getBody();
      assertThat(page.containsKey("summary")).isEqualTo(cursor == null);
      ((List<Map<String, Object>>) page.get("recipients")).forEach(r -> paged.add(r.get("userId")));
      cursor = (String) page.get("nextCursor");
    } while (cursor != null);
    assertThat(paged).containsExactly("alice", "bob", "carol");

    // Only the sender and admins see it; to anyone else it does not exist.
    assertThat(api.get(path, api.token(tenant, "root", "admin")).getStatusCode().value())
        .isEqualTo(200);
    ResponseEntity<Map<String, Object>> stranger = api.get(path, alice);
    assertThat(stranger.getStatusCode().value()).isEqualTo(404);
    assertThat(stranger.getHeaders().getContentType().toString())
        .isEqualTo("application/problem+json");
    assertThat(api.get(path, api.token("t-other", "sam", "admin")).getStatusCode().value())
        .isEqualTo(404);
    assertThat(
            api.get("/api/notifications/requests/" + UUID.randomUUID() + "/activity", sam)
                .getStatusCode()
                .value())
        .isEqualTo(404);

    // The sender's requests, newest first.
    assertThat(
            (List<Map<String, Object>>)
                api.get("/api/notifications/requests", sam).getBody().get("items"))
        .extracting(r -> r.get("requestId"))
        .containsExactly(request.getRequestId());
    assertThat(
            (List<Map<String, Object>>)
                api.get("/api/notifications/requests", alice).getBody().get("items"))
        .isEmpty();

    // By user: carol's own events, newest first; another user may not look, an admin may.
    Map<String, Object> carols =
        api.get("/api/notifications/activity", api.token(tenant, "carol")).getBody();
    assertThat((List<Map<String, Object>>) carols.get("items"))
        .extracting(e -> e.get("channel") + ":" + e.get("status"))
        .containsExactly(
            "EMAIL:DEAD_LETTERED", "EMAIL:FAILED", "IN_APP:DELIVERED", "EMAIL:REQUESTED");
    assertThat(api.get("/api/notifications/activity?user=carol", alice).getStatusCode().value())
        .isEqualTo(403);
    assertThat(
            (List<Object>)
                api.get(
                        "/api/notifications/activity?user=carol&limit=2",
                        api.token(tenant, "root", "admin"))
                    .getBody()
                    .get("items"))
        .hasSize(2);
  }

  private DeliveryFailed failed(
      NotificationRequested request,
      EmailDeliveryRequested delivery,
      Instant at,
      boolean last,
      int attempt,
      String reason) {
    return DeliveryFailed.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(at)
        .setDeliveryId(delivery.getDeliveryId())
        .setNotificationId(request.getRequestId())
        .setUserId(delivery.getUserId())
        .setChannel(Channel.EMAIL)
        .setErrorCode("smtp-transient")
        .setReason(reason)
        .setRetryable(true)
        .setFinal$(last)
        .setAttempt(attempt)
        .build();
  }

  @Test
  void shouldForgetActivityAndRequestsOlderThanTheRetention() {
    Instant now = Instant.now();
    String old = "old-" + UUID.randomUUID();
    String recent = "recent-" + UUID.randomUUID();
    PostgresTestDatabase.shared()
        .execute(
            requestRow(old, now.minus(Duration.ofDays(40))),
            requestRow(recent, now.minus(Duration.ofDays(1))),
            activityRow(old, now.minus(Duration.ofDays(40))),
            activityRow(old, now.minus(Duration.ofDays(31))),
            activityRow(recent, now.minus(Duration.ofDays(1))));
    String sam = api.token(tenant, "sam");
    assertThat(
            api.get("/api/notifications/requests/" + old + "/activity", sam)
                .getStatusCode()
                .value())
        .isEqualTo(200);

    Long forgotten = retention.forgetOlderThan(now.minus(Duration.ofDays(30))).block();

    assertThat(forgotten).isGreaterThanOrEqualTo(3);
    assertThat(rows(old)).isZero();
    assertThat(rows(recent)).isEqualTo(2);
    assertThat(
            api.get("/api/notifications/requests/" + old + "/activity", sam)
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(
            api.get("/api/notifications/requests/" + recent + "/activity", sam)
                .getStatusCode()
                .value())
        .isEqualTo(200);
  }

  private String requestRow(String requestId, Instant at) {
    return "INSERT INTO notification_requests (tenant_id, request_id, requested_by, category,"
        + " channels, requested_at) VALUES ('"
        + tenant
        + "', '"
        + requestId
        + "', 'sam', 'account', '{IN_APP}', '"
        + at
        + "')";
  }

  private String activityRow(String requestId, Instant at) {
    return "INSERT INTO delivery_activity (event_id, tenant_id, notification_id, user_id, channel,"
        + " delivery_id, status, occurred_at) VALUES ('"
        + UUID.randomUUID()
        + "', '"
        + tenant
        + "', '"
        + requestId
        + "', 'alice', 'IN_APP', '"
        + UUID.randomUUID()
        + "', 'DELIVERED', '"
        + at
        + "')";
  }

  /** The request's own row and its activity rows. */
  private long rows(String requestId) {
    return PostgresTestDatabase.shared()
            .count(
                "SELECT count(*) FROM notification_requests WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id = '"
                    + requestId
                    + "'")
        + PostgresTestDatabase.shared()
            .count(
                "SELECT count(*) FROM delivery_activity WHERE tenant_id = '"
                    + tenant
                    + "' AND notification_id = '"
                    + requestId
                    + "'");
  }

  private EmailDeliveryRequested emailTo(NotificationRequested request, String user) {
    return emails(request).stream()
        .filter(e -> e.getUserId().equals(user))
        .findFirst()
        .orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> firstItem(String token) {
    return ((List<Map<String, Object>>) api.get("/api/notifications", token).getBody().get("items"))
        .get(0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> delivery(Map<String, Object> recipient, String channel) {
    return ((List<Map<String, Object>>) recipient.get("deliveries"))
        .stream().filter(d -> d.get("channel").equals(channel)).findFirst().orElseThrow();
  }
}
