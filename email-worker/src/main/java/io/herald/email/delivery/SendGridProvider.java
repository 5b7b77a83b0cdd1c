package io.herald.email.delivery;

import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.worker.DeliveryProvider;
import io.herald.worker.DeliveryRef;
import io.herald.worker.ProviderHttp;
import io.herald.worker.SendOutcome;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * SendGrid's v3 Mail Send API: {@code POST /v3/mail/send} with a bearer API key, answered {@code
 * 202} with the message id in {@code X-Message-Id}. A 400 lists its errors (permanent; one on the
 * recipient's address makes it invalid), 401 and 403 are a wrong key or missing permission, 429 and
 * 5xx are transient ({@code Retry-After}, else {@code X-RateLimit-Reset}, says when to retry).
 */
final class SendGridProvider implements DeliveryProvider<EmailDeliveryRequested> {

  static final String NAME = "sendgrid";

  private final WebClient client;
  private final EmailProperties properties;
  private final JsonMapper json;
  private final InternetAddress from;
  private final Clock clock = Clock.systemUTC();

  SendGridProvider(WebClient client, EmailProperties properties, JsonMapper json)
      throws AddressException {
    this.client = client;
    this.properties = properties;
    this.json = json;
    this.from = new InternetAddress(properties.from(), true);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletableFuture<SendOutcome> send(
      EmailDeliveryRequested delivery, DeliveryRef ref, int attempt) {
    return ProviderHttp.exchange(
            client
                .post()
                .uri("/v3/mail/send")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + properties.sendgrid().apiKey())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json.writeValueAsString(body(delivery))))
        .thenApply(this::outcome);
  }

  Map<String, Object> body(EmailDeliveryRequested delivery) {
    Map<String, Object> sender = new LinkedHashMap<>();
    sender.put("email", from.getAddress());
    if (from.getPersonal() != null) {
      sender.put("name", from.getPersonal());
    }
    List<Map<String, String>> content = new ArrayList<>();
    content.add(Map.of("type", "text/plain", "value", delivery.getTextBody()));
    if (delivery.getHtmlBody() != null) {
      content.add(Map.of("type", "text/html", "value", delivery.getHtmlBody()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("personalizations", List.of(Map.of("to", List.of(Map.of("email", delivery.getTo())))));
    body.put("from", sender);
    body.put("subject", delivery.getSubject());
    body.put("content", content);
    body.put("headers", MailHeaders.of(delivery, properties));
    body.put(
        "custom_args",
        Map.of(
            "herald_delivery_id", delivery.getDeliveryId(),
            "herald_notification_id", delivery.getNotificationId(),
            "herald_tenant_id", delivery.getTenantId()));
    body.put("categories", List.of(delivery.getCategory()));
    return body;
  }

  private SendOutcome outcome(ProviderHttp.Response response) {
    int status = response.status();
    if (status == 202 || status == 200) {
      return new SendOutcome.Accepted(response.headers().getFirst("X-Message-Id"));
    }
    String message = errors(response.body());
    String code = "HTTP_" + status;
    if (status == 400 && message.contains(".to.") && message.contains("email")) {
      return new SendOutcome.Permanent(code, message, SendOutcome.Cause.CONTACT_INVALID);
    }
    Duration retryAfter = ProviderHttp.retryAfter(response.headers(), clock);
    if (retryAfter == null && status == 429) {
      retryAfter = rateLimitReset(response.headers());
    }
    return ProviderHttp.byStatus(status, code, message, retryAfter);
  }

  /** SendGrid's {@code errors} array as one line: message and field of each. */
  private String errors(String body) {
    try {
      JsonNode errors = json.readTree(body).path("errors");
      List<String> parts = new ArrayList<>();
      for (JsonNode error : errors) {
        String field = error.path("field").asString("");
        parts.add(error.path("message").asString("") + (field.isEmpty() ? "" : " (" + field + ")"));
      }
      return parts.isEmpty() ? body : String.join("; ", parts);
    } catch (RuntimeException e) {
      return body.isEmpty() ? "no body" : body;
    }
  }

  private Duration rateLimitReset(HttpHeaders headers) {
    String reset = headers.getFirst("X-RateLimit-Reset");
    try {
      long wait = Long.parseLong(reset) - clock.instant().getEpochSecond();
      return Duration.ofSeconds(Math.max(wait, 1));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
