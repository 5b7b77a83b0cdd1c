package io.herald.notification.preferences;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.PostgresTestDatabase;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;

/**
 * Quiet hours on the real broker, registry and PostgreSQL: inside the recipient's window a
 * non-critical e-mail is held (the in-app item is not) until the window ends, then sent once; a
 * critical category passes; the tenant's default applies to users without their own. The end of a
 * window is brought forward by moving the held part's time, as a controllable clock would.
 */
class QuietHoursIT extends ApiIntegrationTest {

  private static final PostgresTestDatabase DB = PostgresTestDatabase.shared();
  private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm");

  /** A window around now, in UTC: from an hour ago to two hours ahead. */
  private static String windowAroundNow() {
    LocalTime now = LocalTime.now(ZoneOffset.UTC);
    return "{\"start\":\""
        + now.minusHours(1).format(HH_MM)
        + "\",\"end\":\""
        + now.plusHours(2).format(HH_MM)
        + "\"}";
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldHoldNonCriticalEmailUntilTheWindowEndsButNeverTheInbox() throws Exception {
    subscriber("bob", "{\"email\":\"bob@x.example\",\"timeZone\":\"UTC\"}");
    String bob = api.token(tenant, "bob");
    Map<String, Object> window =
        api.call(HttpMethod.PUT, "/api/preferences/me/quiet-hours", bob, windowAroundNow())
            .getBody();
    assertThat(window).containsEntry("source", "user");

    NotificationRequested request =
        TestRequests.request(
            tenant, List.of("bob"), List.of(), List.of(Channel.IN_APP, Channel.EMAIL));
    request.setRequestedBy("sam");
    send(request);

    await().atMost(Duration.ofSeconds(30)).until(() -> inboxRows(request) == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> heldParts(request) == 1);
    assertThat(emails(request)).isEmpty();
    String end =
        DB.column(
                "SELECT to_char(send_at AT TIME ZONE 'UTC', 'HH24:MI') FROM scheduled_notifications"
                    + " WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id = '"
                    + request.getRequestId()
                    + "'")
            .get(0);
    assertThat(end).isEqualTo(window.get("end"));
    Map<String, Object> activity =
        api.get(
                "/api/notifications/requests/" + request.getRequestId() + "/activity",
                api.token(tenant, "sam"))
            .getBody();
    assertThat(activity.toString()).contains("HELD").contains("quiet-hours until");

    // The window ends: bob clears it, and the held part's time comes.
    assertThat(
            api.call(HttpMethod.DELETE, "/api/preferences/me/quiet-hours", bob, null)
                .getStatusCode())
        .isEqualTo(HttpStatus.NO_CONTENT);
    releaseHeld(request);
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(request).size() == 1);
    // Once: the inbox item was not delivered again with it.
    assertThat(inboxEvents(request)).hasSize(1);
    assertThat(inboxRows(request)).isEqualTo(1);
    EmailDeliveryRequested email = emails(request).get(0);
    assertThat(email.getTo()).isEqualTo("bob@x.example");
  }

  @Test
  void shouldLetCriticalCategoriesThroughAndApplyTheTenantDefault() throws Exception {
    subscriber("ana", "{\"email\":\"ana@x.example\",\"timeZone\":\"UTC\"}");
    String admin = api.token(tenant, "root", "admin");
    assertThat(
            api.call(
                    HttpMethod.PUT,
                    "/api/preferences/tenant",
                    admin,
                    "{\"categories\":{\"security\":{\"critical\":true},\"news\":{}}}")
                .getStatusCode())
        .isEqualTo(HttpStatus.OK);
    Map<String, Object> tenantWindow =
        api.call(HttpMethod.PUT, "/api/preferences/tenant/quiet-hours", admin, windowAroundNow())
            .getBody();
    assertThat(tenantWindow).containsEntry("source", "tenant");
    assertThat(api.get("/api/preferences/me/quiet-hours", api.token(tenant, "ana")).getBody())
        .containsEntry("source", "tenant");

    NotificationRequested alarm =
        TestRequests.request(tenant, List.of("ana"), List.of(), List.of(Channel.EMAIL));
    alarm.setCategory("security");
    NotificationRequested news =
        TestRequests.request(tenant, List.of("ana"), List.of(), List.of(Channel.EMAIL));
    news.setCategory("news");
    send(news, alarm);

    await().atMost(Duration.ofSeconds(30)).until(() -> emails(alarm).size() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> heldParts(news) == 1);
    assertThat(emails(news)).isEmpty();

    // Bad windows are refused as problems naming the field.
    assertThat(
            api.call(
                    HttpMethod.PUT,
                    "/api/preferences/me/quiet-hours",
                    api.token(tenant, "ana"),
                    "{\"start\":\"22:00\",\"end\":\"25:00\"}")
                .getStatusCode())
        .isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(
            api.call(
                    HttpMethod.PUT,
                    "/api/preferences/tenant/quiet-hours",
                    api.token(tenant, "ana"),
                    windowAroundNow())
                .getStatusCode())
        .isEqualTo(HttpStatus.FORBIDDEN);
  }

  private long heldParts(NotificationRequested request) {
    return DB.count(
        "SELECT count(*) FROM scheduled_notifications WHERE tenant_id = '"
            + tenant
            + "' AND request_id = '"
            + request.getRequestId()
            + "' AND part LIKE 'quiet|%' AND status = 'SCHEDULED'");
  }

  private void releaseHeld(NotificationRequested request) {
    DB.execute(
        "UPDATE scheduled_notifications SET send_at = now() WHERE tenant_id = '"
            + tenant
            + "' AND request_id = '"
            + request.getRequestId()
            + "'");
  }
}
