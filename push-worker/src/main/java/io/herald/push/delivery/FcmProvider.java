package io.herald.push.delivery;

import io.herald.events.v1.PushDeliveryRequested;
import io.herald.support.tracing.RecordTracing;
import io.herald.worker.DeliveryProvider;
import io.herald.worker.DeliveryRef;
import io.herald.worker.ProviderHttp;
import io.herald.worker.SendOutcome;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * FCM HTTP v1: {@code POST /v1/projects/{project}/messages:send} with an OAuth 2.0 access token, a
 * notification (title, body, image), the data map, and the web override's link. The answer names
 * the message ({@code projects/.../messages/...}).
 *
 * <p>Errors, by FCM error code: {@code UNREGISTERED} and {@code SENDER_ID_MISMATCH}, and {@code
 * INVALID_ARGUMENT} about the registration token, make the token invalid; {@code QUOTA_EXCEEDED},
 * {@code UNAVAILABLE} and {@code INTERNAL} are transient ({@code Retry-After} honoured); a refused
 * access token is dropped and the send retried with a fresh one; {@code THIRD_PARTY_AUTH_ERROR} and
 * {@code PERMISSION_DENIED} are configuration errors.
 */
final class FcmProvider implements DeliveryProvider<PushDeliveryRequested> {

  static final String NAME = "fcm";

  private final WebClient client;
  private final GoogleAccessTokens tokens;
  private final String projectId;
  private final JsonMapper json;
  private final RecordTracing tracing;
  private final Clock clock = Clock.systemUTC();

  FcmProvider(
      WebClient client,
      GoogleAccessTokens tokens,
      String projectId,
      JsonMapper json,
      RecordTracing tracing) {
    this.client = client;
    this.tokens = tokens;
    this.projectId = projectId;
    this.json = json;
    this.tracing = tracing;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletableFuture<SendOutcome> send(
      PushDeliveryRequested delivery, DeliveryRef ref, int attempt) {
    String body = json.writeValueAsString(Map.of("message", message(delivery)));
    return tokens
        .token()
        // The token may arrive on another thread; the send stays in the delivery's trace.
        .thenCompose(
            tracing.inCurrentSpan(
                token ->
                    ProviderHttp.exchange(
                            client
                                .post()
                                .uri("/v1/projects/{project}/messages:send", projectId)
                                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                                .contentType(MediaType.APPLICATION_JSON)
                                .bodyValue(body))
                        .thenApply(response -> outcome(response, token))))
        .exceptionally(FcmProvider::tokenFailure);
  }

  Map<String, Object> message(PushDeliveryRequested delivery) {
    Map<String, Object> notification = new LinkedHashMap<>();
    notification.put("title", delivery.getTitle());
    notification.put("body", delivery.getBody());
    if (delivery.getImageUrl() != null) {
      notification.put("image", delivery.getImageUrl());
    }
    Map<String, String> data = new LinkedHashMap<>(delivery.getData());
    data.put("herald_delivery_id", delivery.getDeliveryId());
    data.put("herald_notification_id", delivery.getNotificationId());
    if (delivery.getLink() != null) {
      data.put("link", delivery.getLink());
    }
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("token", delivery.getDeviceToken());
    message.put("notification", notification);
    message.put("data", data);
    if (delivery.getLink() != null && delivery.getLink().startsWith("https://")) {
      message.put("webpush", Map.of("fcm_options", Map.of("link", delivery.getLink())));
    }
    if (delivery.getImageUrl() != null) {
      message.put("apns", Map.of("fcm_options", Map.of("image", delivery.getImageUrl())));
    }
    return message;
  }

  private SendOutcome outcome(ProviderHttp.Response response, String token) {
    JsonNode body;
    try {
      body = json.readTree(response.body().isEmpty() ? "{}" : response.body());
    } catch (RuntimeException e) {
      body = json.createObjectNode();
    }
    if (response.ok()) {
      return new SendOutcome.Accepted(body.path("name").asString(null));
    }
    JsonNode error = body.path("error");
    String status = error.path("status").asString("HTTP_" + response.status());
    String errorCode = status;
    for (JsonNode detail : error.path("details")) {
      if (detail.has("errorCode")) {
        errorCode = detail.path("errorCode").asString(status);
      }
    }
    String message = error.path("message").asString("HTTP " + response.status());
    Duration retryAfter = ProviderHttp.retryAfter(response.headers(), clock);
    switch (errorCode) {
      case "UNREGISTERED", "SENDER_ID_MISMATCH" -> {
        return new SendOutcome.Permanent(errorCode, message, SendOutcome.Cause.CONTACT_INVALID);
      }
      case "INVALID_ARGUMENT" -> {
        boolean aboutToken = message.toLowerCase(java.util.Locale.ROOT).contains("token");
        return new SendOutcome.Permanent(
            errorCode,
            message,
            aboutToken ? SendOutcome.Cause.CONTACT_INVALID : SendOutcome.Cause.REJECTED);
      }
      case "QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL" -> {
        return new SendOutcome.Transient(errorCode, message, retryAfter);
      }
      case "THIRD_PARTY_AUTH_ERROR", "PERMISSION_DENIED" -> {
        return new SendOutcome.Permanent(errorCode, message, SendOutcome.Cause.CONFIGURATION);
      }
      default -> {
        if (response.status() == 401) {
          // Expired or revoked before its time: the next attempt gets a fresh token.
          tokens.refused(token);
          return new SendOutcome.Transient(errorCode, "access token refused: " + message);
        }
        return ProviderHttp.byStatus(response.status(), errorCode, message, retryAfter);
      }
    }
  }

  private static SendOutcome tokenFailure(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof GoogleAccessTokens.TokenException token) {
      return token.permanent
          ? new SendOutcome.Permanent(
              "OAUTH_TOKEN_REFUSED", token.getMessage(), SendOutcome.Cause.CONFIGURATION)
          : new SendOutcome.Transient("OAUTH_TOKEN_UNAVAILABLE", token.getMessage());
    }
    return SendOutcome.ofFailure(cause);
  }
}
