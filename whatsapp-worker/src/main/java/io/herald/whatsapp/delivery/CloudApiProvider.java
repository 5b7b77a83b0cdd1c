package io.herald.whatsapp.delivery;

import io.herald.events.v1.Channel;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.support.events.DeliveryEvents;
import io.herald.worker.DeliveryProvider;
import io.herald.worker.DeliveryRef;
import io.herald.worker.ProviderHttp;
import io.herald.worker.SendOutcome;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WhatsApp Cloud API: {@code POST /{version}/{phone-number-id}/messages} with the sender's
 * bearer token, a text message or an approved template with body parameters. The answer names the
 * message ({@code messages[0].id}, a {@code wamid.}); the request carries the delivery in {@code
 * biz_opaque_callback_data}, which Meta echoes in every status webhook of the message.
 *
 * <p>Errors, by Graph API error code: throttling (HTTP 429, codes 4, 80007, 130429, 131056) and
 * Meta's temporary failures are transient; 131026 (undeliverable) makes the number invalid; 131047
 * needs a template (the 24-hour customer service window is closed); 190 and permission errors are
 * Herald's credentials; other request errors are permanent.
 */
final class CloudApiProvider implements DeliveryProvider<WhatsAppDeliveryRequested> {

  static final String NAME = "whatsapp-cloud";

  private static final Set<Integer> THROTTLED = Set.of(4, 80007, 130429, 131056);
  private static final Set<Integer> TEMPORARY = Set.of(1, 2, 131000, 131016, 133004);
  private static final Set<Integer> CONFIGURATION =
      Set.of(0, 3, 10, 190, 200, 368, 131031, 131045, 133010);

  private final WebClient client;
  private final WhatsAppProperties properties;
  private final JsonMapper json;
  private final Clock clock = Clock.systemUTC();

  CloudApiProvider(WebClient client, WhatsAppProperties properties, JsonMapper json) {
    this.client = client;
    this.properties = properties;
    this.json = json;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Each business phone number has its own throughput, so its own rate limiter. */
  @Override
  public String account(WhatsAppDeliveryRequested delivery, DeliveryRef ref) {
    String id = properties.accountOf(ref.tenantId()).phoneNumberId();
    return blank(id) ? "unconfigured" : id;
  }

  @Override
  public CompletableFuture<SendOutcome> send(
      WhatsAppDeliveryRequested delivery, DeliveryRef ref, int attempt) {
    WhatsAppProperties.Account account = properties.accountOf(ref.tenantId());
    if (blank(account.phoneNumberId()) || blank(account.accessToken())) {
      return CompletableFuture.completedFuture(
          new SendOutcome.Permanent(
              "NO_ACCOUNT",
              "no WhatsApp phone number id and access token for tenant " + ref.tenantId(),
              SendOutcome.Cause.CONFIGURATION));
    }
    return ProviderHttp.exchange(
            client
                .post()
                .uri(
                    "/{version}/{phoneNumberId}/messages",
                    properties.apiVersion(),
                    account.phoneNumberId())
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + account.accessToken())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json.writeValueAsString(body(delivery))))
        .thenApply(this::outcome);
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }

  Map<String, Object> body(WhatsAppDeliveryRequested delivery) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("messaging_product", "whatsapp");
    body.put("recipient_type", "individual");
    body.put("to", delivery.getPhoneNumber());
    if (delivery.getTemplateName() != null) {
      Map<String, Object> template = new LinkedHashMap<>();
      template.put("name", delivery.getTemplateName());
      template.put(
          "language",
          Map.of(
              "code", delivery.getLanguageCode() == null ? "en_US" : delivery.getLanguageCode()));
      if (!delivery.getParameters().isEmpty()) {
        template.put(
            "components",
            List.of(
                Map.of(
                    "type",
                    "body",
                    "parameters",
                    delivery.getParameters().stream()
                        .map(p -> Map.of("type", "text", "text", p))
                        .toList())));
      }
      body.put("type", "template");
      body.put("template", template);
    } else {
      body.put("type", "text");
      body.put("text", Map.of("preview_url", false, "body", delivery.getText()));
    }
    body.put(
        "biz_opaque_callback_data",
        new DeliveryEvents.Subject(
                delivery.getTenantId(),
                delivery.getNotificationId(),
                delivery.getDeliveryId(),
                delivery.getUserId(),
                Channel.WHATSAPP)
            .callbackData());
    return body;
  }

  private SendOutcome outcome(ProviderHttp.Response response) {
    JsonNode answer;
    try {
      answer = json.readTree(response.body().isEmpty() ? "{}" : response.body());
    } catch (RuntimeException e) {
      answer = json.createObjectNode();
    }
    if (response.ok()) {
      String id = answer.path("messages").path(0).path("id").asString(null);
      return id != null
          ? new SendOutcome.Accepted(id)
          : new SendOutcome.Transient(
              "NO_MESSAGE_ID", "Cloud API answered " + response.status() + " without a message id");
    }
    JsonNode error = answer.path("error");
    int code = error.path("code").asInt(-1);
    String message = error.path("message").asString("HTTP " + response.status());
    String details = error.path("error_data").path("details").asString("");
    String text = details.isEmpty() ? message : message + ": " + details;
    String name = code < 0 ? "HTTP_" + response.status() : Integer.toString(code);
    Duration retryAfter = ProviderHttp.retryAfter(response.headers(), clock);
    if (response.status() == 429 || THROTTLED.contains(code)) {
      return new SendOutcome.Transient(name, "throttled: " + text, retryAfter);
    }
    if (code == 131026) {
      return new SendOutcome.Permanent(name, text, SendOutcome.Cause.CONTACT_INVALID);
    }
    if (code == 131047) {
      return new SendOutcome.Permanent(
          name,
          "more than 24 hours since the recipient last wrote: only an approved template message"
              + " can be sent ("
              + text
              + ")",
          SendOutcome.Cause.REJECTED);
    }
    if (CONFIGURATION.contains(code)) {
      return new SendOutcome.Permanent(name, text, SendOutcome.Cause.CONFIGURATION);
    }
    if (TEMPORARY.contains(code)) {
      return new SendOutcome.Transient(name, text, retryAfter);
    }
    if (code >= 0 && response.status() < 500) {
      return new SendOutcome.Permanent(name, text, SendOutcome.Cause.REJECTED);
    }
    return ProviderHttp.byStatus(response.status(), name, text, retryAfter);
  }
}
