package io.herald.publishing.platforms;

import io.herald.publishing.connections.PlatformConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * X API v2: {@code POST /2/tweets} with the user's OAuth 2.0 bearer token and {@code {"text"}}; 201
 * {@code {"data": {"id", "text"}}}. Errors as X documents them: 429 (rate limited; {@code
 * x-rate-limit-reset} is the epoch second the window resets) and 5xx are transient; 401 means the
 * token was revoked or expired; 403 is a refusal of the content (duplicate content, policy) or of
 * the app's access; 400 a malformed request; a timeout or connection error is transient.
 *
 * <p>X takes no idempotency key. When an earlier attempt may have posted without its answer
 * arriving, {@link #findPublished} reads the account's own posts ({@code GET /2/users/:id/tweets}
 * from {@code start_time}, replies and reposts excluded, up to {@value #LOOKUP_PAGES} pages of 100)
 * and compares their text with the post's: X answers with its links shortened to t.co and {@code
 * &amp;}, {@code <} and {@code >} escaped, so links are left out of the comparison and entities
 * unescaped; a long post's full text is in {@code note_tweet.text}.
 */
public final class XClient extends HttpPlatformClient {

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  public XClient(WebClient client, JsonMapper json, Clock clock, Duration timeout) {
    super(client, json, clock, timeout);
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
  public CompletableFuture<PublishOutcome> findPublished(
      PlatformConnection connection, String text, List<String> mediaUrls, Instant since) {
    String wanted = comparable(postText(text, mediaUrls));
    return page(connection, since, null, wanted, 1).toFuture();
  }

  /** One page of the account's posts: the match, the next page, or why it could not be read. */
  private Mono<PublishOutcome> page(
      PlatformConnection connection, Instant since, String token, String wanted, int number) {
    return read(client
            .get()
            .uri(
                b -> {
                  b.path("/2/users/{id}/tweets")
                      .queryParam("start_time", SECONDS.format(since))
                      .queryParam("max_results", 100)
                      .queryParam("exclude", "replies,retweets")
                      .queryParam("tweet.fields", "created_at,note_tweet");
                  if (token != null) {
                    b.queryParam("pagination_token", token);
                  }
                  return b.build(connection.accountId());
                })
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + connection.accessToken()))
        .flatMap(
            a -> {
              JsonNode tree = parse(a.body());
              if (a.status() != 200) {
                return Mono.just(lookupFailure(a, tree));
              }
              for (JsonNode post : tree.path("data")) {
                String posted =
                    post.path("note_tweet").path("text").asString(post.path("text").asString(""));
                if (comparable(posted).equals(wanted)) {
                  String id = post.path("id").asString();
                  return Mono.just(
                      new PublishOutcome.Published(id, url(connection, id), a.status(), true));
                }
              }
              String next = tree.path("meta").path("next_token").asString("");
              return next.isEmpty() || number >= LOOKUP_PAGES
                  ? Mono.<PublishOutcome>empty()
                  : page(connection, since, next, wanted, number + 1);
            })
        .onErrorResume(e -> Mono.just(lookupFailed(String.valueOf(e.getMessage()), null, 0)));
  }

  private PublishOutcome lookupFailure(Answer a, JsonNode tree) {
    String message = message(tree, a.body());
    if (a.status() == 401) {
      return new PublishOutcome.Permanent(
          "AUTH_REVOKED", "could not read the account's posts: " + message, a.status());
    }
    return lookupFailed(message, a.status() == 429 ? resetIn(a) : null, a.status());
  }

  private static String postText(String text, List<String> mediaUrls) {
    return mediaUrls.isEmpty() ? text : text + "\n" + String.join("\n", mediaUrls);
  }

  private static String url(PlatformConnection connection, String id) {
    String handle = connection.accountName() == null ? "i" : connection.accountName();
    return "https://x.com/" + handle + "/status/" + id;
  }

  @Override
  public CompletableFuture<PublishOutcome> publish(
      PlatformConnection connection, String text, List<String> mediaUrls, String idempotencyToken) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text", postText(text, mediaUrls));
    return read(client
            .post()
            .uri("/2/tweets")
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + connection.accessToken())
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body))
        .map(a -> outcome(connection, a))
        .onErrorResume(e -> Mono.just(noAnswer(e)))
        .toFuture();
  }

  private PublishOutcome outcome(PlatformConnection connection, Answer a) {
    int status = a.status();
    JsonNode tree = parse(a.body());
    if (status == 201 || status == 200) {
      String id = tree.path("data").path("id").asString("");
      if (id.isEmpty()) {
        return new PublishOutcome.Transient(
            "MALFORMED_RESPONSE", "no data.id in " + abbreviate(a.body()), null, status);
      }
      return new PublishOutcome.Published(id, url(connection, id), status);
    }
    String message = message(tree, a.body());
    if (status == 429) {
      return new PublishOutcome.Transient("RATE_LIMITED", message, resetIn(a), status);
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

  /** {@code x-rate-limit-reset}: the epoch second the window resets. */
  private Duration resetIn(Answer a) {
    String reset = a.headers().asHttpHeaders().getFirst("x-rate-limit-reset");
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

  /** X's problem: {@code detail}, else {@code title}, else {@code errors[0].message}. */
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
}
