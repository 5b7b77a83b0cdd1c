package io.herald.notification.preferences;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationRequested;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Preferences through the HTTP API and their effect on a real fan-out: the most specific level
 * wins, critical categories always arrive, and every delivery not made is recorded with its reason.
 */
class PreferencesIT extends ApiIntegrationTest {

  @Test
  void shouldDeliverByTheMostSpecificLevelAndAlwaysDeliverCriticalCategories() throws Exception {
    String admin = token("root", "admin");
    assertThat(
            api.call(
                    HttpMethod.PUT,
                    "/api/preferences/tenant",
                    admin,
                    """
                    {"categories":{"security":{"critical":true},
                     "marketing":{"critical":false,"channels":{"EMAIL":false}}}}""")
                .getStatusCode()
                .value())
        .isEqualTo(200);
    registerSubscribers("ann", "ben", "cat", "dan");
    // ann: EMAIL on for every category beats the tenant's marketing default.
    put("ann", "{\"channels\":{\"EMAIL\":true}}");
    // ben: nothing chosen, the tenant default holds.
    // cat: marketing e-mail on beats her own "no e-mail at all".
    put("cat", "{\"channels\":{\"EMAIL\":false},\"categories\":{\"marketing\":{\"EMAIL\":true}}}");
    // dan: no e-mail and no in-app at all, but security is critical.
    put("dan", "{\"channels\":{\"EMAIL\":false,\"IN_APP\":false}}");

    NotificationRequested marketing = request(List.of("ann", "ben", "cat", "dan"), "marketing");
    NotificationRequested security = request(List.of("ann", "ben", "cat", "dan"), "security");
    send(marketing, security);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(emailsTo(marketing)).containsExactlyInAnyOrder("ann", "cat");
              assertThat(emailsTo(security)).containsExactlyInAnyOrder("ann", "ben", "cat", "dan");
              assertThat(inboxOf(security)).containsExactlyInAnyOrder("ann", "ben", "cat", "dan");
            });
    assertThat(inboxOf(marketing)).containsExactlyInAnyOrder("ann", "ben", "cat");
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "SELECT user_id || ':' || channel || ':' || reason FROM delivery_activity"
                        + " WHERE status = 'SKIPPED' AND notification_id = '"
                        + marketing.getRequestId()
                        + "'"))
        .containsExactlyInAnyOrder(
            "ben:EMAIL:opted-out", "dan:EMAIL:opted-out", "dan:IN_APP:opted-out");
  }

  @Test
  void shouldShowCriticalCategoriesAndTheEffectiveChoiceToTheUser() {
    api.call(
        HttpMethod.PUT,
        "/api/preferences/tenant",
        token("root", "admin"),
        "{\"categories\":{\"security\":{\"critical\":true},\"news\":{\"channels\":{\"PUSH\":false}}}}");
    put("eve", "{\"channels\":{\"WHATSAPP\":false},\"categories\":{\"news\":{\"PUSH\":true}}}");

    Map<String, Object> mine =
        api.call(HttpMethod.GET, "/api/preferences/me", token("eve"), null).getBody();

    assertThat(mine.get("channels")).isEqualTo(Map.of("WHATSAPP", false));
    Map<String, Map<String, Object>> effective =
        (Map<String, Map<String, Object>>) mine.get("effective");
    assertThat(effective.get("security")).containsEntry("critical", true);
    assertThat((Map<String, Boolean>) effective.get("security").get("channels"))
        .containsEntry("WHATSAPP", true);
    assertThat((Map<String, Boolean>) effective.get("news").get("channels"))
        .containsEntry("PUSH", true)
        .containsEntry("WHATSAPP", false)
        .containsEntry("EMAIL", true);
  }

  @Test
  void shouldAnswerProblemsForUnknownCategoriesChannelsCriticalOptOutAndNonAdmins() {
    api.call(
        HttpMethod.PUT,
        "/api/preferences/tenant",
        token("root", "admin"),
        "{\"categories\":{\"security\":{\"critical\":true}}}");

    ResponseEntity<Map<String, Object>> bad =
        api.call(
            HttpMethod.PUT,
            "/api/preferences/me",
            token("eve"),
            """
            {"channels":{"SMS":false},
             "categories":{"gossip":{"EMAIL":false},"security":{"EMAIL":false}}}""");

    assertThat(bad.getStatusCode().value()).isEqualTo(400);
    assertThat(bad.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat((List<Map<String, String>>) bad.getBody().get("errors"))
        .extracting(e -> e.get("field"))
        .containsExactlyInAnyOrder(
            "channels.SMS", "categories.gossip", "categories.security.EMAIL");
    ResponseEntity<Map<String, Object>> notAdmin =
        api.call(HttpMethod.PUT, "/api/preferences/tenant", token("eve"), "{\"categories\":{}}");
    assertThat(notAdmin.getStatusCode().value()).isEqualTo(403);
    assertThat(
            api.call(HttpMethod.GET, "/api/preferences/tenant", token("eve"), null)
                .getStatusCode()
                .value())
        .isEqualTo(403);
    ResponseEntity<Map<String, Object>> badChannel =
        api.call(
            HttpMethod.PUT,
            "/api/preferences/tenant",
            token("root", "admin"),
            "{\"categories\":{\"news\":{\"channels\":{\"FAX\":true}}}}");
    assertThat((List<Map<String, String>>) badChannel.getBody().get("errors"))
        .extracting(e -> e.get("field"))
        .containsExactly("categories.news.channels.FAX");
  }

  @Test
  void shouldKeepEachTenantsPreferencesToItself() {
    api.call(
        HttpMethod.PUT,
        "/api/preferences/tenant",
        token("root", "admin"),
        "{\"categories\":{\"secret-project\":{\"critical\":false}}}");
    String otherAdmin = TestTokens.issue(SECRET, "other-" + tenant, "root", "admin");

    Map<String, Object> other =
        api.call(HttpMethod.GET, "/api/preferences/tenant", otherAdmin, null).getBody();

    assertThat((Map<?, ?>) other.get("categories")).isEmpty();
    ResponseEntity<Map<String, Object>> foreign =
        api.call(
            HttpMethod.PUT,
            "/api/preferences/me",
            TestTokens.issue(SECRET, "other-" + tenant, "eve"),
            "{\"categories\":{\"secret-project\":{\"EMAIL\":false}}}");
    assertThat(foreign.getStatusCode().value()).isEqualTo(400);
  }

  private void put(String user, String json) {
    assertThat(
            api.call(HttpMethod.PUT, "/api/preferences/me", token(user), json)
                .getStatusCode()
                .value())
        .isEqualTo(200);
  }

  private void registerSubscribers(String... users) {
    for (String user : users) {
      api.call(
          HttpMethod.PUT,
          "/api/subscribers/" + user,
          token("root", "admin"),
          "{\"email\":\"" + user + "@x.example\"}");
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                PostgresTestDatabase.shared()
                        .column(
                            "SELECT user_id FROM subscribers WHERE tenant_id = '" + tenant + "'")
                        .size()
                    == users.length);
  }

  private NotificationRequested request(List<String> users, String category) {
    NotificationRequested r =
        TestRequests.request(tenant, users, List.of(), List.of(Channel.IN_APP, Channel.EMAIL));
    r.setCategory(category);
    return r;
  }

  private String token(String user, String... roles) {
    return TestTokens.issue(SECRET, tenant, user, roles);
  }

  private List<String> emailsTo(NotificationRequested request) {
    return emails(request).stream().map(EmailDeliveryRequested::getUserId).toList();
  }

  private List<String> inboxOf(NotificationRequested request) {
    return inboxEvents(request).stream().map(InboxItemCreated::getUserId).toList();
  }
}
