package io.herald.publishing.platforms;

import io.herald.publishing.connections.PlatformConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * X API v2: {@code POST /2/tweets} with the user's OAuth 2.0 bearer token and {@code {"text"}}; 201
 * {@code {"data": {"id", "text"}}}. Errors as X documents them: 429 (rate limited; {@code
 * x-rate-limit-reset} is the epoch second the window resets) and 5xx are transient; 401 means the
 * token was revoked or expired; 403 is a refusal of the content (duplicate content, policy) or of
 * the app's access; 400 a malformed request; a timeout or connection error is transient. X takes no
 * idempotency key (see the publishing-service README for the window this leaves).
 */
public final class XClient implements PlatformClient {

  private final WebClient client;
  private final JsonMapper json;
  private final Clock clock;
  private final Duration timeout;

  public XClient(WebClient client, JsonMapper json, Clock clock, Duration timeout) {
    this.client = client;
    this.json = json;
    this.clock = clock;
    this.timeout = timeout;
  }

  @Override
  public String platform() {
    return "X";
  }

  @Override
  public String describe(PlatformConnection connection, String text, List<String> mediaUrls) {
    return "POST /2/tweets text=" + text.length() + " chars, media=" + mediaUrls.size();
  }

  @Override
  public CompletableFuture<PublishOutcome> publish(
      PlatformConnection connection, String text, List<String> mediaUrls, String idempotencyToken) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text", mediaUrls.isEmpty() ? text : text + "\n" + String.join("\n", mediaUrls));
    return client
        .post()
        .uri("/2/tweets")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + connection.accessToken())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(String.class)
                    .defaultIfEmpty("")
                    .map(b -> outcome(connection, response, b)))
        .timeout(timeout)
        .onErrorResume(
            e ->
                Mono.just(
                    new PublishOutcome.Transient(
                        e instanceof TimeoutException ? "TIMEOUT" : "UNREACHABLE",
                        String.valueOf(e.getMessage()),
                        null,
                        0)))
        .toFuture();
  }

  private PublishOutcome outcome(
      PlatformConnection connection, ClientResponse response, String body) {
    int status = response.statusCode().value();
    JsonNode tree = parse(body);
    if (status == 201 || status == 200) {
      String id = tree.path("data").path("id").asString("");
      if (id.isEmpty()) {
        return new PublishOutcome.Transient(
            "MALFORMED_RESPONSE", "no data.id in " + abbreviate(body), null, status);
      }
      String handle = connection.accountName() == null ? "i" : connection.accountName();
      return new PublishOutcome.Published(id, "https://x.com/" + handle + "/status/" + id, status);
    }
    String message = message(tree, body);
    if (status == 429) {
      return new PublishOutcome.Transient("RATE_LIMITED", message, resetIn(response), status);
    }
    if (status >= 500) {
      return new PublishOutcome.Transient("PLATFORM_UNAVAILABLE", message, null, status);
    }
    if (status == 401) {
      return new PublishOutcome.Permanent("AUTH_REVOKED", message, status);
    }
    if (status == 403) {
      return new PublishOutcome.Permanent("CONTENT_REJECTED", message, status);
    }
    return new PublishOutcome.Permanent("INVALID_REQUEST", message, status);
  }

  private Duration resetIn(ClientResponse response) {
    String reset = response.headers().asHttpHeaders().getFirst("x-rate-limit-reset");
    if (reset == null) {
      return null;
    }
    try {
      Duration wait =
          Duration.between(clock.instant(), Instant.ofEpochSecond(Long.parseLong(reset.trim())));
      return wait.isNegative() ? Duration.ZERO : wait;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private JsonNode parse(String body) {
    try {
      return body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (RuntimeException e) {
      return json.createObjectNode();
    }
  }

  /** X's problem: {@code detail}, else {@code errors[0].message}, else {@code title}. */
  private static String message(JsonNode tree, String body) {
    for (String field : List.of("detail", "title")) {
      if (tree.hasNonNull(field)) {
        return tree.get(field).asString();
      }
    }
    if (tree.path("errors").isArray() && !tree.path("errors").isEmpty()) {
      return tree.path("errors").get(0).path("message").asString(abbreviate(body));
    }
    return abbreviate(body);
  }

  private static String abbreviate(String body) {
    return body.length() > 300 ? body.substring(0, 300) + "…" : body;
  }
}
