package io.herald.notification.templates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.TemplateRef;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

/**
 * Templates through the HTTP API and in a real fan-out: versions, locale fallback, HTML escaping of
 * e-mail HTML only, loops and conditionals, a missing variable failing one delivery, and the
 * problems a bad template gets.
 */
class TemplatesIT extends ApiIntegrationTest {

  @Test
  void shouldRenderInTheRecipientsLocaleWithFallbackEscapingOnlyEmailHtml() throws Exception {
    save(
        "welcome",
        "EMAIL",
        "pt",
        """
        {"parts":{"subject":"Olá {{name}}",
                  "text":"{{#items}}{{name}};{{/items}}{{#vip}} VIP{{/vip}}",
                  "html":"<p>{{name}}</p>"},
         "sample":{"name":"Ana","items":"[{\\"name\\":\\"Chá\\"}]"}}""");
    save(
        "welcome",
        "EMAIL",
        "en",
        "{\"parts\":{\"subject\":\"Hello {{name}}\",\"text\":\"Hi {{name}}\"},\"sample\":{\"name\":\"Bo\"}}");
    save(
        "welcome",
        "IN_APP",
        "en",
        "{\"parts\":{\"title\":\"Welcome {{name}}\",\"body\":\"{{recipient.userId}}\",\"actionUrl\":\"https://app.example/start\"},\"sample\":{\"name\":\"Bo\"}}");
    subscriberIn("ana", "pt-BR");
    subscriberIn("bob", "fr");

    NotificationRequested request =
        templated(
            List.of("ana", "bob"),
            "welcome",
            Map.of(
                "name",
                "<b>Ana & co</b>",
                "items",
                "[{\"name\":\"Tea\"},{\"name\":\"Cake\"}]",
                "vip",
                "yes"));
    send(request);

    List<EmailDeliveryRequested> emails =
        await().atMost(Duration.ofSeconds(30)).until(() -> emails(request), e -> e.size() == 2);
    EmailDeliveryRequested ana =
        emails.stream().filter(e -> e.getUserId().equals("ana")).findFirst().orElseThrow();
    EmailDeliveryRequested bob =
        emails.stream().filter(e -> e.getUserId().equals("bob")).findFirst().orElseThrow();
    // pt-BR falls back to pt; fr falls back to the tenant's default, en.
    assertThat(ana.getSubject()).isEqualTo("Olá <b>Ana & co</b>");
    assertThat(ana.getTextBody()).isEqualTo("Tea;Cake; VIP");
    assertThat(ana.getHtmlBody()).isEqualTo("<p>&lt;b&gt;Ana &amp; co&lt;/b&gt;</p>");
    assertThat(bob.getSubject()).isEqualTo("Hello <b>Ana & co</b>");
    assertThat(bob.getHtmlBody()).isNull();
    List<InboxItemCreated> inbox =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> inboxEvents(request), i -> i.size() == 2);
    assertThat(inbox)
        .extracting(InboxItemCreated::getTitle)
        .containsOnly("Welcome <b>Ana & co</b>");
    assertThat(inbox).extracting(InboxItemCreated::getBody).containsExactlyInAnyOrder("ana", "bob");
    assertThat(inbox)
        .extracting(InboxItemCreated::getActionUrl)
        .containsOnly("https://app.example/start");
  }

  @Test
  void shouldFailOnlyTheDeliveryWhoseTemplateLacksAVariableAndRecordWhy() throws Exception {
    save(
        "code",
        "EMAIL",
        "en",
        "{\"parts\":{\"subject\":\"Your code\",\"text\":\"{{code}}\"},\"sample\":{\"code\":\"123\"}}");
    subscriberIn("ana", "en");
    NotificationRequested missing = templated(List.of("ana"), "code", Map.of());
    NotificationRequested complete = templated(List.of("ana"), "code", Map.of("code", "987"));
    NotificationRequested noTemplate = templated(List.of("ana"), "nothing-here", Map.of());

    send(missing, complete, noTemplate);

    await().atMost(Duration.ofSeconds(30)).until(() -> emails(complete).size() == 1);
    assertThat(emails(complete).get(0).getTextBody()).isEqualTo("987");
    assertThat(emails(missing)).isEmpty();
    assertThat(outcomes(missing))
        .singleElement()
        .asString()
        .startsWith("EMAIL:FAILED:render-failed: text:")
        .contains("code");
    assertThat(outcomes(noTemplate)).containsExactly("EMAIL:SKIPPED:no-template");
  }

  @Test
  void shouldVersionTemplatesAndRefuseOnesThatDoNotRender() {
    String admin = token("root", "admin");
    assertThat(
            save("promo", "PUSH", "en", "{\"parts\":{\"title\":\"v1\",\"body\":\"b\"}}")
                .getStatusCode()
                .value())
        .isEqualTo(201);
    ResponseEntity<Map<String, Object>> second =
        save(
            "promo",
            "PUSH",
            "en",
            "{\"parts\":{\"title\":\"v2 {{x}}\",\"body\":\"b\"},\"sample\":{\"x\":\"1\"}}");
    assertThat(second.getBody()).containsEntry("version", 2);
    assertThat(
            api.call(HttpMethod.GET, "/api/templates/promo/PUSH/en?version=1", admin, null)
                .getBody())
        .containsEntry("version", 1);
    assertThat(
            (Map<String, Object>)
                api.call(HttpMethod.GET, "/api/templates/promo/PUSH/en", admin, null)
                    .getBody()
                    .get("parts"))
        .containsEntry("title", "v2 {{x}}");

    ResponseEntity<Map<String, Object>> unclosed =
        save("promo", "PUSH", "en", "{\"parts\":{\"title\":\"{{#items}}open\",\"body\":\"b\"}}");
    assertThat(unclosed.getStatusCode().value()).isEqualTo(422);
    assertThat(unclosed.getBody())
        .containsEntry("type", "https://herald.dev/problems/template-invalid");
    assertThat((List<Map<String, String>>) unclosed.getBody().get("errors"))
        .extracting(e -> e.get("field"))
        .containsExactly("parts.title");
    ResponseEntity<Map<String, Object>> missingVariable =
        save(
            "promo",
            "PUSH",
            "en",
            "{\"parts\":{\"title\":\"{{who}}\",\"body\":\"b\"},\"sample\":{}}");
    assertThat(missingVariable.getStatusCode().value()).isEqualTo(422);
    assertThat((String) missingVariable.getBody().get("detail")).contains("who");

    ResponseEntity<Map<String, Object>> wrongParts =
        save("promo", "EMAIL", "en", "{\"parts\":{\"title\":\"x\"}}");
    assertThat(wrongParts.getStatusCode().value()).isEqualTo(400);
    assertThat((List<Map<String, String>>) wrongParts.getBody().get("errors"))
        .extracting(e -> e.get("field"))
        .containsExactlyInAnyOrder("parts.subject", "parts.text", "parts.title");
    assertThat(save("promo", "FAX", "en", "{\"parts\":{}}").getStatusCode().value()).isEqualTo(400);
    assertThat(
            api.call(HttpMethod.PUT, "/api/templates/promo/PUSH/en", token("eve"), "{\"parts\":{}}")
                .getStatusCode()
                .value())
        .isEqualTo(403);
    String otherAdmin = TestTokens.issue(SECRET, "other-" + tenant, "root", "admin");
    assertThat(
            api.call(HttpMethod.GET, "/api/templates/promo/PUSH/en", otherAdmin, null)
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(
            (List<?>)
                api.call(HttpMethod.GET, "/api/templates", otherAdmin, null)
                    .getBody()
                    .get("templates"))
        .isEmpty();
    assertThat(
            api.call(HttpMethod.DELETE, "/api/templates/promo/PUSH/en", otherAdmin, null)
                .getStatusCode()
                .value())
        .isEqualTo(404);
  }

  private ResponseEntity<Map<String, Object>> save(
      String key, String channel, String locale, String json) {
    return api.call(
        HttpMethod.PUT,
        "/api/templates/" + key + "/" + channel + "/" + locale,
        token("root", "admin"),
        json);
  }

  private void subscriberIn(String user, String locale) {
    subscriber(user, "{\"email\":\"" + user + "@x.example\",\"locale\":\"" + locale + "\"}");
  }

  private NotificationRequested templated(
      List<String> users, String key, Map<String, String> data) {
    NotificationRequested r =
        TestRequests.request(tenant, users, List.of(), List.of(Channel.IN_APP, Channel.EMAIL));
    r.setTitle(null);
    r.setBody(null);
    r.setTemplate(new TemplateRef(key, null));
    r.setData(data);
    if (key.equals("code") || key.equals("nothing-here")) {
      r.setChannels(List.of(Channel.EMAIL));
    }
    return r;
  }

  private List<String> outcomes(NotificationRequested request) {
    return PostgresTestDatabase.shared()
        .column(
            "SELECT channel || ':' || status || ':' || reason FROM delivery_activity WHERE reason IS NOT NULL AND notification_id = '"
                + request.getRequestId()
                + "'");
  }

  private String token(String user, String... roles) {
    return TestTokens.issue(SECRET, tenant, user, roles);
  }
}
