package io.herald.publishing.platforms;

import io.herald.publishing.connections.PlatformConnection;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Facebook Page's feed through the Graph API ({@code POST /{page-id}/feed}, base URL with the
 * Graph version, e.g. {@code https://graph.facebook.com/v23.0}) with the page access token: {@code
 * message}, and the first media URL as {@code link} (Facebook shows its preview; further URLs stay
 * in the message); 200 {@code {"id": "<page-id>_<post-id>"}}.
 *
 * <p>Errors as the Graph API sends them ({@code {"error": {"message", "type", "code",
 * "error_subcode", "fbtrace_id"}}}, HTTP 400 or 403 for most): code 190 (token expired or revoked)
 * → {@code AUTH_REVOKED}; 4, 17, 32, 613 and 80001 (application, user or page rate limits) →
 * transient, waiting {@code estimated_time_to_regain_access} from {@code X-Business-Use-Case-Usage}
 * when Facebook gives it; 1, 2 and 5xx (temporary) → transient; 506 (duplicate post) and 368
 * (blocked by policy) → {@code CONTENT_REJECTED}; 10 and 200–299 (a permission the page token
 * lacks) → {@code PERMISSION_DENIED}; anything else a request to fix.
 *
 * <p>The Graph API takes no idempotency key. {@link #findPublished} reads the page's posts from
 * {@code since} ({@code GET /{page-id}/posts?fields=id,message,created_time}, following {@code
 * paging.next}).
 */
public final class FacebookClient extends HttpPlatformClient {

  public FacebookClient(WebClient client, JsonMapper json, Clock clock, Duration timeout) {
    super(client, json, clock, timeout);
  }

  @Override
  public String platform() {
    return "FACEBOOK";
  }

  @Override
  public String describe(PlatformConnection connection, String text, List<String> mediaUrls) {
    return "POST /{page-id}/feed message="
        + text.length()
        + " chars, link="
        + (mediaUrls.isEmpty() ? "none" : "1")
        + ", media="
        + mediaUrls.size();
  }

  /** The message: the text, and media URLs beyond the first (which is the link). */
  static String message(String text, List<String> mediaUrls) {
    return mediaUrls.size() <= 1
        ? text
        : text + "\n" + String.join("\n", mediaUrls.subList(1, mediaUrls.size()));
  }

  @Override
  public CompletableFuture<PublishOutcome> publish(
      PlatformConnection connection, String text, List<String> mediaUrls, String idempotencyToken) {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add("message", message(text, mediaUrls));
    if (!mediaUrls.isEmpty()) {
      form.add("link", mediaUrls.get(0));
    }
    return read(client
            .post()
            .uri("/{page}/feed", connection.accountId())
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + connection.accessToken())
            .body(BodyInserters.fromFormData(form)))
        .map(this::outcome)
        .onErrorResume(e -> Mono.just(noAnswer(e)))
        .toFuture();
  }

  private PublishOutcome outcome(Answer a) {
    JsonNode tree = parse(a.body());
    if (a.status() == 200 && tree.hasNonNull("id")) {
      String id = tree.get("id").asString();
      return new PublishOutcome.Published(id, url(id), a.status());
    }
    if (a.status() == 200) {
      return new PublishOutcome.Transient(
          "MALFORMED_RESPONSE", "no id in " + abbreviate(a.body()), null, a.status());
    }
    return failure(a, tree, "");
  }

  private PublishOutcome failure(Answer a, JsonNode tree, String doing) {
    JsonNode error = tree.path("error");
    int code = error.path("code").asInt(0);
    String message = doing + error.path("message").asString(abbreviate(a.body()));
    int status = a.status();
    if (code == 190) {
      return new PublishOutcome.Permanent("AUTH_REVOKED", message, status);
    }
    if (code == 4 || code == 17 || code == 32 || code == 613 || code == 80001) {
      return new PublishOutcome.Transient("RATE_LIMITED", message, regainIn(a), status);
    }
    if (code == 1 || code == 2 || status >= 500) {
      return new PublishOutcome.Transient("PLATFORM_UNAVAILABLE", message, null, status);
    }
    if (code == 506 || code == 368) {
      return new PublishOutcome.Permanent("CONTENT_REJECTED", message, status);
    }
    if (code == 10 || (code >= 200 && code <= 299)) {
      return new PublishOutcome.Permanent("PERMISSION_DENIED", message, status);
    }
    return new PublishOutcome.Permanent("INVALID_REQUEST", message, status);
  }

  @Override
  public CompletableFuture<PublishOutcome> findPublished(
      PlatformConnection connection, String text, List<String> mediaUrls, Instant since) {
    String wanted = comparable(message(text, mediaUrls));
    return page(connection, null, since, wanted, 1).toFuture();
  }

  private Mono<PublishOutcome> page(
      PlatformConnection connection, URI next, Instant since, String wanted, int number) {
    WebClient.RequestHeadersSpec<?> request =
        next != null
            ? client.get().uri(next)
            : client
                .get()
                .uri(
                    b ->
                        b.path("/{page}/posts")
                            .queryParam("fields", "id,message,created_time")
                            .queryParam("since", since.getEpochSecond())
                            .queryParam("limit", 100)
                            .build(connection.accountId()));
    return read(request.header(HttpHeaders.AUTHORIZATION, "Bearer " + connection.accessToken()))
        .flatMap(
            a -> {
              JsonNode tree = parse(a.body());
              if (a.status() != 200) {
                PublishOutcome failed = failure(a, tree, "could not read the page's posts: ");
                return Mono.just(
                    failed instanceof PublishOutcome.Permanent
                        ? failed
                        : lookupFailed(
                            tree.path("error").path("message").asString(abbreviate(a.body())),
                            ((PublishOutcome.Transient) failed).retryAfter(),
                            a.status()));
              }
              for (JsonNode post : tree.path("data")) {
                if (comparable(post.path("message").asString("")).equals(wanted)) {
                  String id = post.path("id").asString();
                  return Mono.just(new PublishOutcome.Published(id, url(id), a.status(), true));
                }
              }
              String following = tree.path("paging").path("next").asString("");
              return following.isEmpty() || number >= LOOKUP_PAGES
                  ? Mono.<PublishOutcome>empty()
                  : page(connection, URI.create(following), since, wanted, number + 1);
            })
        .onErrorResume(e -> Mono.just(lookupFailed(String.valueOf(e.getMessage()), null, 0)));
  }

  /** {@code <page-id>_<post-id>} → the post's page on Facebook. */
  private static String url(String id) {
    int split = id.indexOf('_');
    return split < 0
        ? "https://www.facebook.com/" + id
        : "https://www.facebook.com/"
            + id.substring(0, split)
            + "/posts/"
            + id.substring(split + 1);
  }

  /**
   * The longest {@code estimated_time_to_regain_access} (minutes) in {@code
   * X-Business-Use-Case-Usage}; null when Facebook did not say.
   */
  private Duration regainIn(Answer a) {
    String usage = a.headers().asHttpHeaders().getFirst("X-Business-Use-Case-Usage");
    if (usage == null) {
      return null;
    }
    List<Long> minutes = new ArrayList<>();
    for (JsonNode entries : parse(usage)) {
      for (JsonNode entry : entries) {
        minutes.add(entry.path("estimated_time_to_regain_access").asLong(0));
      }
    }
    long longest = minutes.stream().mapToLong(Long::longValue).max().orElse(0);
    return longest > 0 ? Duration.ofMinutes(longest) : null;
  }
}
