package io.herald.notification.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.FallbackStep;
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
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;

/**
 * Channel fallback chains (push, then e-mail) on the real broker, registry and PostgreSQL: the next
 * step follows when the first has no contact point, fails for good, or gets no delivered status
 * within its wait; a delivered status, or reading the in-app item, stops the chain. What counts is
 * what reached the channel topics.
 */
class FallbackChainsIT extends ApiIntegrationTest {

  private static final PostgresTestDatabase DB = PostgresTestDatabase.shared();

  @Test
  void shouldGoOnToTheNextStepWhenTheWaitEndsWithoutADeliveredStatus() throws Exception {
    subscriber(
        "pia",
        "{\"email\":\"pia@x.example\",\"pushContacts\":[{\"platform\":\"FCM\",\"token\":\"fcm-pia\"}]}");
    NotificationRequested request = chain("pia", List.of(), Duration.ofSeconds(2));
    Instant sent = Instant.now();
    send(request);

    await().atMost(Duration.ofSeconds(30)).until(() -> pushes(request).size() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(request).size() == 1);
    assertThat(Duration.between(sent, Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(pushes(request)).hasSize(1);
    assertThat(status(request, "pia")).isEqualTo("SENT");
  }

  @Test
  void shouldGoOnAtOnceWhenAStepFailsForGoodOrHasNoContactPoint() throws Exception {
    subscriber(
        "pia",
        "{\"email\":\"pia@x.example\",\"pushContacts\":[{\"platform\":\"FCM\",\"token\":\"fcm-pia\"}]}");
    subscriber("ema", "{\"email\":\"ema@x.example\"}");
    NotificationRequested failing = chain("pia", List.of(), Duration.ofHours(1));
    NotificationRequested noPush = chain("ema", List.of(), Duration.ofHours(1));
    send(failing, noPush);

    // ema has no push token: straight to e-mail, the skipped step in the activity.
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(noPush).size() == 1);
    assertThat(pushes(noPush)).isEmpty();
    Map<String, Object> activity =
        api.get(
                "/api/notifications/requests/" + noPush.getRequestId() + "/activity",
                api.token(tenant, "sam"))
            .getBody();
    assertThat(activity.toString()).contains("PUSH").contains("no-contact");

    // pia's push fails for good: her e-mail goes now, not in an hour.
    await().atMost(Duration.ofSeconds(30)).until(() -> pushes(failing).size() == 1);
    PushDeliveryRequested push = pushes(failing).get(0);
    assertThat(emails(failing)).isEmpty();
    status(
        DeliveryFailed.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setDeliveryId(push.getDeliveryId())
            .setNotificationId(failing.getRequestId())
            .setUserId("pia")
            .setChannel(Channel.PUSH)
            .setErrorCode("UNREGISTERED")
            .setReason("token not registered")
            .setRetryable(false)
            .setFinal$(true)
            .setAttempt(1)
            .build());
    await().atMost(Duration.ofSeconds(30)).until(() -> emails(failing).size() == 1);
  }

  @Test
  void shouldStopTheChainWhenAStepIsDeliveredOrTheInAppItemRead() throws Exception {
    subscriber(
        "pia",
        "{\"email\":\"pia@x.example\",\"pushContacts\":[{\"platform\":\"FCM\",\"token\":\"fcm-pia\"}]}");
    NotificationRequested delivered = chain("pia", List.of(), Duration.ofSeconds(3));
    NotificationRequested read = chain("pia", List.of(Channel.IN_APP), Duration.ofSeconds(3));
    send(delivered, read);
    await().atMost(Duration.ofSeconds(30)).until(() -> pushes(delivered).size() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> pushes(read).size() == 1);
    // Due after both, with nothing to stop it: once its e-mail is out, theirs were due too.
    NotificationRequested sentinel = chain("pia", List.of(), Duration.ofSeconds(5));

    status(
        DeliveryDelivered.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setDeliveryId(pushes(delivered).get(0).getDeliveryId())
            .setNotificationId(delivered.getRequestId())
            .setUserId("pia")
            .setChannel(Channel.PUSH)
            .build());
    String item =
        DB.column(
                "SELECT id FROM inbox_items WHERE tenant_id = '"
                    + tenant
                    + "' AND notification_id = '"
                    + read.getRequestId()
                    + "'")
            .get(0);
    api.call(
        HttpMethod.POST, "/api/notifications/" + item + "/read", api.token(tenant, "pia"), null);
    send(sentinel);

    await().atMost(Duration.ofSeconds(30)).until(() -> emails(sentinel).size() == 1);
    assertThat(emails(delivered)).isEmpty();
    assertThat(emails(read)).isEmpty();
    assertThat(status(delivered, "pia")).isEqualTo("CANCELLED");
    assertThat(status(read, "pia")).isEqualTo("CANCELLED");
    assertThat(
            DB.column(
                "SELECT cancelled_by FROM scheduled_notifications WHERE tenant_id = '"
                    + tenant
                    + "' AND request_id IN ('"
                    + delivered.getRequestId()
                    + "', '"
                    + read.getRequestId()
                    + "') ORDER BY cancelled_by"))
        .containsExactly("delivered", "read");
  }

  /** PUSH, waiting {@code wait} for a delivered status, then EMAIL; besides {@code channels}. */
  private NotificationRequested chain(String user, List<Channel> channels, Duration wait) {
    NotificationRequested request =
        TestRequests.request(tenant, List.of(user), List.of(), channels);
    request.setRequestedBy("sam");
    request.setFallback(
        List.of(
            new FallbackStep(Channel.PUSH, wait.toMillis()), new FallbackStep(Channel.EMAIL, 0L)));
    return request;
  }

  private List<PushDeliveryRequested> pushes(NotificationRequested request) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "notification.push.v1",
        PushDeliveryRequested.class,
        p -> p.getNotificationId().equals(request.getRequestId()));
  }

  private String status(NotificationRequested request, String user) {
    return DB.column(
            "SELECT status FROM scheduled_notifications WHERE tenant_id = '"
                + tenant
                + "' AND request_id = '"
                + request.getRequestId()
                + "' AND part = 'fallback|"
                + user
                + "|PUSH'")
        .get(0);
  }

  private void status(Object event) throws Exception {
    produce("notification.delivery-status.v1", "k", event);
  }
}
