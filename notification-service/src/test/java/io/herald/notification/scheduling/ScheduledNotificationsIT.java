package io.herald.notification.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.NotificationCancelRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Notifications held for later ({@code sendAt}) on the real broker, registry and PostgreSQL: held
 * until their time and then delivered once, cancelled before it (by their sender or an admin, not
 * by anyone else), and what the sender sees of it in the request's activity.
 */
class ScheduledNotificationsIT extends ApiIntegrationTest {

  private static final PostgresTestDatabase DB = PostgresTestDatabase.shared();

  @Test
  @SuppressWarnings("unchecked")
  void shouldHoldARequestUntilItsTimeAndThenDeliverItOnce() throws Exception {
    subscriber("bob", "{\"email\":\"bob@x.example\"}");
    NotificationRequested request =
        TestRequests.request(
            tenant, List.of("bob"), List.of(), List.of(Channel.IN_APP, Channel.EMAIL));
    request.setRequestedBy("sam");
    Instant sendAt = Instant.now().plusSeconds(6);
    request.setSendAt(sendAt);
    send(request);

    String token = api.token(tenant, "sam");
    String activity = "/api/notifications/requests/" + request.getRequestId() + "/activity";
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get(activity, token).getStatusCode().is2xxSuccessful());
    Map<String, Object> held = api.get(activity, token).getBody();
    assertThat((Map<String, Object>) held.get("schedule"))
        .containsEntry("status", "SCHEDULED")
        .containsEntry(
            "sendAt", sendAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
    // Held: nothing reached the inbox or the e-mail topic before its time.
    assertThat(Instant.now()).isBefore(sendAt);
    assertThat(inboxRows(request)).isZero();
    assertThat(emails(request)).isEmpty();

    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(request) == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(request).size() == 1);
    OffsetDateTime created =
        OffsetDateTime.parse(
            DB.column(
                    "SELECT to_char(created_at AT TIME ZONE 'UTC',"
                        + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM inbox_items WHERE tenant_id = '"
                        + tenant
                        + "' AND notification_id = '"
                        + request.getRequestId()
                        + "'")
                .get(0));
    assertThat(created.toInstant()).isAfterOrEqualTo(sendAt);
    // Written back to the topic within moments of its time (the benchmark measures how close).
    assertThat(scheduleLateness(request)).isLessThan(Duration.ofSeconds(3));

    Map<String, Object> sent = api.get(activity, token).getBody();
    assertThat((Map<String, Object>) sent.get("schedule")).containsEntry("status", "SENT");
    // Once, as the user sees it: one inbox event and one e-mail, although the request is on the
    // topic twice (as sent, and when due).
    assertThat(inboxEvents(request)).hasSize(1);
    assertThat(emails(request)).hasSize(1);
    List<ConsumerRecord<String, byte[]>> onTopic =
        KafkaTestClients.readAll(broker.getBrokersAsString(), "notification.requests.v1").stream()
            .filter(r -> request.getRequestId().equals(r.key()))
            .toList();
    assertThat(onTopic).hasSize(2);
    assertThat(onTopic.get(1).headers().lastHeader(ScheduledNotifications.DUE_HEADER)).isNotNull();
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldNeverDeliverARequestCancelledBeforeItsTime() throws Exception {
    subscriber("bob", "{}");
    Instant soon = Instant.now().plusSeconds(5);
    NotificationRequested bySender = later(soon, "sam");
    NotificationRequested byAdmin = later(soon, "sam");
    NotificationRequested byStranger = later(soon, "sam");
    NotificationRequested byOtherTenant = later(soon, "sam");
    // Due after the others: once it is in the inbox, the others' time has passed too.
    NotificationRequested last = later(soon.plusSeconds(1), "sam");
    send(bySender, byAdmin, byStranger, byOtherTenant, last);
    cancel(bySender, "sam", false);
    cancel(byAdmin, "root", true);
    cancel(byStranger, "mallory", false);
    // The same request id and sender, from an admin of another tenant.
    cancel("t-" + UUID.randomUUID(), byOtherTenant, "sam", true);

    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(last) == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(byStranger) == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(byOtherTenant) == 1);
    assertThat(inboxRows(bySender)).isZero();
    assertThat(inboxRows(byAdmin)).isZero();
    assertThat(inboxEvents(bySender)).isEmpty();
    assertThat(inboxEvents(byAdmin)).isEmpty();

    String token = api.token(tenant, "sam");
    Map<String, Object> cancelled =
        api.get("/api/notifications/requests/" + bySender.getRequestId() + "/activity", token)
            .getBody();
    assertThat((Map<String, Object>) cancelled.get("schedule"))
        .containsEntry("status", "CANCELLED");
    assertThat(
            DB.column(
                "SELECT cancelled_by FROM scheduled_notifications WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id = '"
                    + byAdmin.getRequestId()
                    + "'"))
        .containsExactly("root");
    // A cancellation after the request was sent changes nothing.
    cancel(last, "sam", false);
    NotificationRequested marker = later(Instant.now(), "sam");
    send(marker);
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(marker) == 1);
    assertThat(
            DB.column(
                "SELECT status FROM scheduled_notifications WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id = '"
                    + last.getRequestId()
                    + "'"))
        .containsExactly("SENT");
  }

  @Test
  void shouldDeliverAtOnceARequestWhoseTimeHasPassed() throws Exception {
    subscriber("bob", "{}");
    NotificationRequested past = later(Instant.now().minusSeconds(60), "sam");
    send(past);
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(past) == 1);
    assertThat(
            DB.count(
                "SELECT count(*) FROM scheduled_notifications WHERE request_id = '"
                    + past.getRequestId()
                    + "'"))
        .isZero();
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldHoldARequestForATimeOfDayUntilThatTimeInEachRecipientsZone() throws Exception {
    subscriber("kenji", "{\"timeZone\":\"Asia/Tokyo\"}");
    subscriber("ines", "{\"timeZone\":\"Europe/Lisbon\"}");
    subscriber("nora", "{\"timeZone\":\"America/New_York\"}");
    NotificationRequested request =
        TestRequests.request(
            tenant,
            List.of("kenji", "ines", "nora", "walk-in"), // walk-in is not registered: UTC
            List.of(),
            List.of(Channel.IN_APP));
    request.setRequestedBy("sam");
    request.setLocalTime("09:00");
    Instant before = Instant.now();
    send(request);

    await().atMost(Duration.ofSeconds(30)).until(() -> parts(request).size() >= 3);
    Instant after = Instant.now();
    Map<String, String> parts = parts(request);
    // One part per instant: Lisbon keeps UTC in winter and shares one with walk-in, but not in
    // summer; either way each user's part is due at the next 09:00 of their zone.
    for (Map.Entry<String, String> user :
        Map.of(
                "kenji", "Asia/Tokyo",
                "ines", "Europe/Lisbon",
                "nora", "America/New_York",
                "walk-in", "UTC")
            .entrySet()) {
      java.time.ZoneId zone = java.time.ZoneId.of(user.getValue());
      Instant dueEarliest = next9(zone, before);
      Instant dueLatest = next9(zone, after);
      assertThat(parts)
          .as(user.getKey() + "'s part")
          .hasEntrySatisfying(
              user.getKey(), due -> assertThat(Instant.parse(due)).isIn(dueEarliest, dueLatest));
    }
    assertThat(inboxRows(request)).isZero();
    String token = api.token(tenant, "sam");
    String activity = "/api/notifications/requests/" + request.getRequestId() + "/activity";
    assertThat((Map<String, Object>) api.get(activity, token).getBody().get("schedule"))
        .containsEntry("status", "SCHEDULED");

    // The clock moves on to Tokyo's 09:00: only kenji's part is due.
    DB.execute(
        "UPDATE scheduled_notifications SET send_at = now() WHERE tenant_id = '"
            + tenant
            + "' AND send_at = '"
            + parts.get("kenji")
            + "'");
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRowsOf(request, "kenji") == 1);
    assertThat(inboxRows(request)).isEqualTo(1);
    assertThat((Map<String, Object>) api.get(activity, token).getBody().get("schedule"))
        .containsEntry("status", "PARTLY_SENT");

    // And past everyone's.
    DB.execute(
        "UPDATE scheduled_notifications SET send_at = now() WHERE tenant_id = '"
            + tenant
            + "' AND status = 'SCHEDULED'");
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(request) == 4);
    assertThat(inboxEvents(request)).hasSize(4);
    assertThat((Map<String, Object>) api.get(activity, token).getBody().get("schedule"))
        .containsEntry("status", "SENT");
  }

  private static Instant next9(java.time.ZoneId zone, Instant now) {
    java.time.ZonedDateTime local = now.atZone(zone);
    java.time.ZonedDateTime nine = local.toLocalDate().atTime(9, 0).atZone(zone);
    return nine.toInstant().isAfter(now) ? nine.toInstant() : nine.plusDays(1).toInstant();
  }

  /** Each user's held part: when it is due (ISO-8601, UTC), read from the held request. */
  private Map<String, String> parts(NotificationRequested request) {
    Map<String, String> due = new java.util.HashMap<>();
    for (String row :
        DB.column(
            "SELECT to_char(send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ' '"
                + " || part FROM scheduled_notifications WHERE tenant_id = '"
                + tenant
                + "' AND request_id = '"
                + request.getRequestId()
                + "'")) {
      String at = row.substring(0, row.indexOf(' '));
      for (String user : usersOfPart(request, row.substring(row.indexOf(' ') + 1))) {
        due.put(user, at);
      }
    }
    return due;
  }

  /** The users a held part names, decoded from the stored request. */
  private List<String> usersOfPart(NotificationRequested request, String part) {
    String hex =
        DB.column(
                "SELECT encode(request, 'hex') FROM scheduled_notifications WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id = '"
                    + request.getRequestId()
                    + "' AND part = '"
                    + part
                    + "'")
            .get(0);
    byte[] bytes = java.util.HexFormat.of().parseHex(hex);
    try (io.apicurio.registry.serde.avro.AvroKafkaDeserializer<Object> avro =
        new io.apicurio.registry.serde.avro.AvroKafkaDeserializer<>()) {
      avro.configure(
          io.herald.support.kafka.RegistrySerde.consumerProperties(
              io.herald.support.testing.ApicurioRegistryServer.shared().url()),
          false);
      NotificationRequested held =
          (NotificationRequested) avro.deserialize("notification.requests.v1", bytes);
      assertThat(held.getLocalTime()).isNull();
      assertThat(held.getRequestId()).isEqualTo(request.getRequestId());
      return held.getAudience().getUserIds();
    }
  }

  private long inboxRowsOf(NotificationRequested request, String user) {
    return DB.count(
        "SELECT count(*) FROM inbox_items WHERE tenant_id = '"
            + tenant
            + "' AND notification_id = '"
            + request.getRequestId()
            + "' AND user_id = '"
            + user
            + "'");
  }

  private NotificationRequested later(Instant sendAt, String sender) {
    NotificationRequested request =
        TestRequests.request(tenant, List.of("bob"), List.of(), List.of(Channel.IN_APP));
    request.setRequestedBy(sender);
    request.setSendAt(sendAt);
    return request;
  }

  private void cancel(NotificationRequested request, String by, boolean admin) throws Exception {
    cancel(tenant, request, by, admin);
  }

  private void cancel(String tenantId, NotificationRequested request, String by, boolean admin)
      throws Exception {
    NotificationCancelRequested cancel =
        NotificationCancelRequested.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenantId)
            .setOccurredAt(Instant.now())
            .setRequestId(request.getRequestId())
            .setRequestedBy(by)
            .setAsAdmin(admin)
            .build();
    produce("notification.requests.v1", request.getRequestId(), cancel);
  }

  private Duration scheduleLateness(NotificationRequested request) {
    String millis =
        DB.column(
                "SELECT (extract(epoch FROM done_at - send_at) * 1000)::bigint"
                    + " FROM scheduled_notifications WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id = '"
                    + request.getRequestId()
                    + "'")
            .get(0);
    return Duration.ofMillis(Long.parseLong(millis));
  }
}
