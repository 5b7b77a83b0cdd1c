package io.herald.notification.digests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpMethod;

/**
 * Digests on the real broker, registry and PostgreSQL, with the service's clock moved by the test:
 * daily and weekly digests go out at 09:00 in each recipient's zone, across the spring clock
 * changes of New York, London and Berlin; read items are left out and empty digests send nothing;
 * categories not digested go out at once.
 */
class DigestIT extends ApiIntegrationTest {

  private static final PostgresTestDatabase DB = PostgresTestDatabase.shared();

  @Autowired DigestRunner runner;

  @AfterEach
  void resetClock() {
    clock.reset();
  }

  @Test
  void shouldSendDailyAndWeeklyDigestsAtNineLocalAcrossZonesAndClockChanges() throws Exception {
    admin("PUT", "/api/preferences/tenant/digests", "{\"categories\":{\"news\":\"daily\"}}");
    subscriber("ny", "{\"email\":\"ny@x.example\",\"timeZone\":\"America/New_York\"}");
    subscriber("lon", "{\"email\":\"lon@x.example\",\"timeZone\":\"Europe/London\"}");
    subscriber("tok", "{\"email\":\"tok@x.example\",\"timeZone\":\"Asia/Tokyo\"}");
    subscriber("ber", "{\"email\":\"ber@x.example\",\"timeZone\":\"Europe/Berlin\"}");
    api.call(
        HttpMethod.PUT,
        "/api/preferences/me/digests",
        api.token(tenant, "ber"),
        "{\"categories\":{\"news\":\"weekly\"}}");

    // Saturday 2027-03-13, 12:00 UTC: 07:00 in New York, 21:00 in Tokyo.
    clock.set(Instant.parse("2027-03-13T12:00:00Z"));
    NotificationRequested first = news(List.of("ny", "lon", "tok", "ber"), "First news");
    send(first);
    awaitItems(4);

    Map<String, Object> nyView = mine("ny");
    Map<?, ?> upcoming = (Map<?, ?>) ((List<?>) nyView.get("upcoming")).get(0);
    assertThat(upcoming.get("frequency")).isEqualTo("daily");
    assertThat(upcoming.get("nextAt")).isEqualTo("2027-03-13T14:00:00Z"); // 09:00 EST
    assertThat(upcoming.get("pending")).isEqualTo(1);
    assertThat(((Map<?, ?>) nyView.get("categories")).get("news"))
        .isEqualTo(Map.of("frequency", "daily", "source", "tenant"));

    fireAt("ny", Instant.parse("2027-03-13T14:00:00Z"));
    // A second item for New York that evening: its digest is Sunday 09:00, now EDT (UTC-4).
    clock.set(Instant.parse("2027-03-13T20:00:00Z"));
    NotificationRequested second = news(List.of("ny"), "Second news");
    send(second);
    awaitItems(4); // ny's first went out; lon, tok and ber wait; ny's second is in
    fireAt("tok", Instant.parse("2027-03-14T00:00:00Z")); // 09:00 JST
    fireAt("lon", Instant.parse("2027-03-14T09:00:00Z")); // 09:00 GMT
    fireAt("ny", Instant.parse("2027-03-14T13:00:00Z")); // 09:00 EDT: 23 hours after the first
    fireAt("ber", Instant.parse("2027-03-15T08:00:00Z")); // Monday 09:00 CET

    // Saturday 2027-03-27: London and Berlin move their clocks on Sunday at 01:00 UTC.
    clock.set(Instant.parse("2027-03-27T12:00:00Z"));
    NotificationRequested third = news(List.of("lon", "ber"), "Third news");
    send(third);
    awaitItems(2);
    fireAt("lon", Instant.parse("2027-03-28T08:00:00Z")); // 09:00 BST
    fireAt("ber", Instant.parse("2027-03-29T07:00:00Z")); // Monday 09:00 CEST

    assertThat(periods("ny")).containsExactly("DAILY 2027-03-13", "DAILY 2027-03-14");
    assertThat(periods("lon")).containsExactly("DAILY 2027-03-14", "DAILY 2027-03-28");
    assertThat(periods("tok")).containsExactly("DAILY 2027-03-14");
    assertThat(periods("ber")).containsExactly("WEEKLY 2027-W11", "WEEKLY 2027-W13");

    // What the recipients get: one e-mail per digest, each listing its items.
    List<EmailDeliveryRequested> digests = digestEmails();
    assertThat(digests).hasSize(7);
    assertThat(digests.stream().map(EmailDeliveryRequested::getDeliveryId).distinct()).hasSize(7);
    Map<String, List<EmailDeliveryRequested>> byUser =
        digests.stream().collect(Collectors.groupingBy(EmailDeliveryRequested::getUserId));
    assertThat(byUser.get("ny")).hasSize(2);
    assertThat(byUser.get("ny").get(0).getOccurredAt())
        .isEqualTo(Instant.parse("2027-03-13T14:00:00Z"));
    assertThat(byUser.get("ny").get(1).getOccurredAt())
        .isEqualTo(Instant.parse("2027-03-14T13:00:00Z"));
    assertThat(byUser.get("ny").get(1).getTextBody()).contains("Second news");
    assertThat(byUser.get("ber").get(0).getSubject()).isEqualTo("Your weekly digest: 1 new");
    assertThat(byUser.get("ber").get(0).getTextBody()).contains("First news");
    assertThat(byUser.get("tok").get(0).getSubject()).isEqualTo("Your daily digest: 1 new");
    // The items' own e-mails never went out.
    assertThat(emails(first)).isEmpty();
    assertThat(emails(second)).isEmpty();
    // The in-app items did, at once.
    assertThat(inboxRows(first)).isEqualTo(4);

    Map<?, ?> after = (Map<?, ?>) ((List<?>) mine("ny").get("upcoming")).get(0);
    assertThat(after.get("pending")).isEqualTo(0);
    assertThat(after.get("nextAt")).isNull();
    assertThat(after.get("lastPeriod")).isEqualTo("2027-03-14");
  }

  @Test
  void shouldLeaveOutReadItemsSendNothingForEmptyDigestsAndDeliverOtherCategoriesAtOnce()
      throws Exception {
    admin("PUT", "/api/preferences/tenant/digests", "{\"categories\":{\"news\":\"daily\"}}");
    subscriber("ann", "{\"email\":\"ann@x.example\"}");
    subscriber("bea", "{\"email\":\"bea@x.example\"}");
    clock.set(Instant.parse("2027-05-03T06:00:00Z"));
    NotificationRequested both = news(List.of("ann", "bea"), "Read early");
    NotificationRequested annOnly = news(List.of("ann"), "Still unread");
    NotificationRequested account =
        TestRequests.request(tenant, List.of("ann"), List.of(), List.of(Channel.EMAIL));
    send(both, annOnly, account);
    awaitItems(3);
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(account).size() == 1);

    read("ann", both);
    read("bea", both);
    Map<?, ?> bea = (Map<?, ?>) ((List<?>) mine("bea").get("upcoming")).get(0);
    assertThat(bea.get("pending")).isEqualTo(0);
    assertThat(((Map<?, ?>) ((List<?>) mine("ann").get("upcoming")).get(0)).get("pending"))
        .isEqualTo(1);

    clock.set(Instant.parse("2027-05-03T09:00:00Z"));
    runner.runRound();
    await().atMost(Duration.ofSeconds(30)).until(() -> scheduled() == 0);

    assertThat(periods("ann")).containsExactly("DAILY 2027-05-03");
    assertThat(periods("bea")).as("nothing left to digest: no digest").isEmpty();
    List<EmailDeliveryRequested> digests = digestEmails();
    assertThat(digests).hasSize(1);
    assertThat(digests.get(0).getUserId()).isEqualTo("ann");
    assertThat(digests.get(0).getTextBody()).contains("Still unread").doesNotContain("Read early");
    assertThat(DB.count("SELECT count(*) FROM digest_items WHERE tenant_id = '" + tenant + "'"))
        .isZero();
    assertThat(
            DB.column(
                "SELECT reason FROM delivery_activity WHERE tenant_id = '"
                    + tenant
                    + "' AND user_id = 'bea' AND status = 'SKIPPED'"))
        .containsExactly("read-before-digest");

    // The request's activity follows ann's e-mail into the digest, up to the worker's status.
    produce(
        "notification.delivery-status.v1",
        digests.get(0).getNotificationId(),
        DeliveryDelivered.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setDeliveryId(digests.get(0).getDeliveryId())
            .setNotificationId(digests.get(0).getNotificationId())
            .setUserId("ann")
            .setChannel(Channel.EMAIL)
            .build());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> emailOutcome(annOnly, "ann").equals("DELIVERED"));
    String activity = activity(annOnly).toString();
    assertThat(activity)
        .contains("digest daily due 2027-05-03T09:00:00Z")
        .contains("daily digest 2027-05-03, 1 items");
    assertThat(activity(annOnly).get("summary").toString()).contains("EMAIL={DELIVERED=1}");
    assertThat(emailOutcome(both, "bea")).isEqualTo("SKIPPED");
  }

  private Map<String, Object> activity(NotificationRequested request) {
    var response =
        api.get(
            "/api/notifications/requests/" + request.getRequestId() + "/activity",
            api.token(tenant, "test"));
    assertThat(response.getStatusCode().value()).as(response.toString()).isEqualTo(200);
    return response.getBody();
  }

  /** The outcome of the user's e-mail delivery of the request, as its activity shows it. */
  private String emailOutcome(NotificationRequested request, String user) {
    for (Object r : (List<?>) activity(request).get("recipients")) {
      Map<?, ?> recipient = (Map<?, ?>) r;
      if (user.equals(recipient.get("userId"))) {
        for (Object d : (List<?>) recipient.get("deliveries")) {
          Map<?, ?> delivery = (Map<?, ?>) d;
          if ("EMAIL".equals(delivery.get("channel"))) {
            return String.valueOf(delivery.get("outcome"));
          }
        }
      }
    }
    return "none";
  }

  @Test
  void shouldSendPushDigestsAtTheUsersOwnTime() throws Exception {
    admin("PUT", "/api/preferences/tenant/digests", "{\"categories\":{\"news\":\"hourly\"}}");
    subscriber(
        "raj",
        "{\"email\":\"raj@x.example\",\"timeZone\":\"Asia/Kolkata\","
            + "\"pushContacts\":[{\"platform\":\"FCM\",\"token\":\"fcm-raj\"}]}");
    api.call(
        HttpMethod.PUT,
        "/api/preferences/me/digests",
        api.token(tenant, "raj"),
        "{\"categories\":{\"news\":\"daily\"},\"time\":\"18:30\",\"channels\":[\"EMAIL\",\"PUSH\"]}");
    clock.set(Instant.parse("2027-06-01T05:00:00Z"));
    NotificationRequested request = news(List.of("raj"), "Pushed later");
    request.setChannels(List.of(Channel.EMAIL, Channel.PUSH));
    send(request);
    awaitItems(1);
    assertThat(((List<?>) mine("raj").get("upcoming")))
        .singleElement()
        .satisfies(
            u -> assertThat(((Map<?, ?>) u).get("nextAt")).isEqualTo("2027-06-01T13:00:00Z"));

    fireAt("raj", Instant.parse("2027-06-01T13:00:00Z")); // 18:30 IST
    List<PushDeliveryRequested> pushes =
        KafkaTestClients.readAllValues(
            broker.getBrokersAsString(),
            "notification.push.v1",
            PushDeliveryRequested.class,
            p -> tenant.equals(p.getTenantId()));
    assertThat(pushes)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getCategory()).isEqualTo("digest");
              assertThat(p.getTitle()).isEqualTo("1 new in your daily digest");
              assertThat(p.getBody()).contains("Pushed later");
            });
    assertThat(digestEmails()).hasSize(1);
  }

  @Test
  void shouldRejectInvalidDigestPreferences() {
    var response =
        api.call(
            HttpMethod.PUT,
            "/api/preferences/me/digests",
            api.token(tenant, "zed"),
            "{\"categories\":{\"news\":\"monthly\"},\"time\":\"25:00\",\"channels\":[\"SMS\"]}");
    assertThat(response.getStatusCode().value()).isEqualTo(400);
    assertThat(response.getBody().toString())
        .contains("categories.news")
        .contains("time")
        .contains("channels");
    var forbidden =
        api.call(
            HttpMethod.PUT,
            "/api/preferences/tenant/digests",
            api.token(tenant, "zed"),
            "{\"categories\":{\"news\":\"daily\"}}");
    assertThat(forbidden.getStatusCode().value()).isEqualTo(403);
  }

  /**
   * The user's digest is not sent a second before its time and is sent at it (the round run here
   * and the service's own loop both use the moved clock).
   */
  private void fireAt(String user, Instant due) throws Exception {
    int before = periods(user).size();
    assertThat(dueAt(user)).as(user + "'s next digest").isEqualTo(due);
    clock.set(due.minusSeconds(1));
    runner.runRound();
    assertThat(periods(user)).as(user + "'s digests a second early").hasSize(before);
    clock.set(due);
    runner.runRound();
    await().atMost(Duration.ofSeconds(30)).until(() -> periods(user).size() == before + 1);
  }

  private NotificationRequested news(List<String> users, String title) {
    NotificationRequested r =
        TestRequests.request(tenant, users, List.of(), List.of(Channel.IN_APP, Channel.EMAIL));
    r.setCategory("news");
    r.setTitle(title);
    r.setOccurredAt(clock.instant());
    return r;
  }

  private void awaitItems(long n) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                DB.count("SELECT count(*) FROM digest_items WHERE tenant_id = '" + tenant + "'")
                    == n);
  }

  private long scheduled() {
    return DB.count("SELECT count(*) FROM digest_schedule WHERE tenant_id = '" + tenant + "'");
  }

  private Instant dueAt(String user) {
    List<String> due =
        DB.column(
            "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                + " FROM digest_schedule WHERE tenant_id = '"
                + tenant
                + "' AND user_id = '"
                + user
                + "'");
    return due.isEmpty() ? null : Instant.parse(due.get(0));
  }

  private List<String> periods(String user) {
    return DB.column(
        "SELECT frequency || ' ' || period FROM digests WHERE tenant_id = '"
            + tenant
            + "' AND user_id = '"
            + user
            + "' ORDER BY sent_at");
  }

  private List<EmailDeliveryRequested> digestEmails() {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "notification.email.v1",
        EmailDeliveryRequested.class,
        e -> tenant.equals(e.getTenantId()) && "digest".equals(e.getCategory()));
  }

  private Map<String, Object> mine(String user) {
    var response = api.get("/api/preferences/me/digests", api.token(tenant, user));
    assertThat(response.getStatusCode().value()).isEqualTo(200);
    return response.getBody();
  }

  private void admin(String method, String path, String body) {
    var response =
        api.call(HttpMethod.valueOf(method), path, api.token(tenant, "root", "admin"), body);
    assertThat(response.getStatusCode().value()).as(response.toString()).isEqualTo(200);
  }

  /** Marks the user's inbox item of the request read, through the inbox API. */
  private void read(String user, NotificationRequested request) {
    String id =
        DB.column(
                "SELECT id::text FROM inbox_items WHERE tenant_id = '"
                    + tenant
                    + "' AND user_id = '"
                    + user
                    + "' AND notification_id = '"
                    + request.getRequestId()
                    + "'")
            .get(0);
    var response =
        api.call(
            HttpMethod.POST, "/api/notifications/" + id + "/read", api.token(tenant, user), null);
    assertThat(response.getStatusCode().is2xxSuccessful()).as(response.toString()).isTrue();
  }
}
