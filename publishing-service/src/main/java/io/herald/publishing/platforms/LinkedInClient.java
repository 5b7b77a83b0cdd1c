package io.herald.publishing.platforms;

import io.herald.publishing.connections.PlatformConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * LinkedIn's Posts API ({@code POST /rest/posts}) with the member's OAuth 2.0 token, the {@code
 * LinkedIn-Version} header (YYYYMM) and {@code X-Restli-Protocol-Version: 2.0.0}: a text post by
 * the connection's member URN, public, on the main feed; 201 with the post's URN in {@code
 * x-restli-id} (no body). The text is LinkedIn's "little text": its reserved characters ({@code \ |
 * { } @ [ ] ( ) < > # * _ ~}) are escaped, or LinkedIn would read them as markup and cut the post
 * short; media URLs go into the text, where LinkedIn shows them as links.
 *
 * <p>Errors as LinkedIn documents them ({@code {"status", "serviceErrorCode", "code", "message"}}):
 * 429 (member or application daily limit; LinkedIn sends no reset time, so the job backs off) and
 * 5xx are transient; 401 means the token expired or was revoked; 403 that the app lacks {@code
 * w_member_social}; 422 a refusal of the content (a duplicate of a recent post); 400 and 426 (a
 * version LinkedIn no longer serves) a request to fix.
 *
 * <p>LinkedIn takes no idempotency key. To look for an earlier attempt's post, {@link
 * #findPublished} reads the member's posts ({@code GET /rest/posts?q=author&author=…
 * &sortBy=LAST_MODIFIED}, needs {@code r_member_social}, which LinkedIn grants to approved apps
 * only): without it the job fails with {@code CANNOT_VERIFY} instead of posting a second time.
 */
public final class LinkedInClient extends HttpPlatformClient {

  private static final Pattern RESERVED = Pattern.compile("([\\\\|{}@\\[\\]()<>#*_~])");
  private static final Pattern ESCAPED = Pattern.compile("\\\\([\\\\|{}@\\[\\]()<>#*_~])");
  private static final int PAGE = 50;

  private final String version;

  public LinkedInClient(
      WebClient client, JsonMapper json, Clock clock, Duration timeout, String version) {
    super(client, json, clock, timeout);
    this.version = version;
  }

  @Override
  public String platform() {
    return "LINKEDIN";
  }

  @Override
  public String describe(PlatformConnection connection, String text, List<String> mediaUrls) {
    return "POST /rest/posts (LinkedIn-Version "
        + version
        + ") commentary="
        + text.length()
        + " chars, media="
        + mediaUrls.size();
  }

  /** The post's text in LinkedIn's little text format: reserved characters escaped. */
  static String commentary(String text, List<String> mediaUrls) {
    String whole = mediaUrls.isEmpty() ? text : text + "\n" + String.join("\n", mediaUrls);
    return RESERVED.matcher(whole).replaceAll("\\\\$1");
  }

  @Override
  public CompletableFuture<PublishOutcome> publish(
      PlatformConnection connection, String text, List<String> mediaUrls, String idempotencyToken) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("author", connection.accountId());
    body.put("commentary", commentary(text, mediaUrls));
    body.put("visibility", "PUBLIC");
    body.put(
        "distribution",
        Map.of(
            "feedDistribution",
            "MAIN_FEED",
            "targetEntities",
            List.of(),
            "thirdPartyDistributionChannels",
            List.of()));
    body.put("lifecycleState", "PUBLISHED");
    body.put("isReshareDisabledByAuthor", false);
    return read(client
            .post()
            .uri("/rest/posts")
            .headers(h -> headers(h, connection))
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body))
        .map(this::outcome)
        .onErrorResume(e -> Mono.just(noAnswer(e)))
        .toFuture();
  }

  private void headers(HttpHeaders headers, PlatformConnection connection) {
    headers.setBearerAuth(connection.accessToken());
    headers.set("LinkedIn-Version", version);
    headers.set("X-Restli-Protocol-Version", "2.0.0");
  }

  private PublishOutcome outcome(Answer a) {
    int status = a.status();
    if (status == 201) {
      String urn = a.headers().asHttpHeaders().getFirst("x-restli-id");
      if (urn == null || urn.isBlank()) {
        return new PublishOutcome.Transient(
            "MALFORMED_RESPONSE", "201 without x-restli-id", null, status);
      }
      return new PublishOutcome.Published(urn, url(urn), status);
    }
    String message = message(parse(a.body()), a.body());
    if (status == 429) {
      return new PublishOutcome.Transient("RATE_LIMITED", message, retryAfter(a), status);
    }
    if (status >= 500) {
      return new PublishOutcome.Transient("PLATFORM_UNAVAILABLE", message, null, status);
    }
    if (status == 401) {
      return new PublishOutcome.Permanent("AUTH_REVOKED", message, status);
    }
    if (status == 403) {
      return new PublishOutcome.Permanent("PERMISSION_DENIED", message, status);
    }
    if (status == 422) {
      return new PublishOutcome.Permanent("CONTENT_REJECTED", message, status);
    }
    return new PublishOutcome.Permanent("INVALID_REQUEST", message, status);
  }

  @Override
  public CompletableFuture<PublishOutcome> findPublished(
      PlatformConnection connection, String text, List<String> mediaUrls, Instant since) {
    String wanted = comparableCommentary(commentary(text, mediaUrls));
    return page(connection, since, wanted, 0, 1).toFuture();
  }

  private Mono<PublishOutcome> page(
      PlatformConnection connection, Instant since, String wanted, int start, int number) {
    return read(client
            .get()
            .uri(
                b ->
                    b.path("/rest/posts")
                        .queryParam("author", "{author}")
                        .queryParam("q", "author")
                        .queryParam("sortBy", "LAST_MODIFIED")
                        .queryParam("count", PAGE)
                        .queryParam("start", start)
                        .build(connection.accountId()))
            .headers(h -> headers(h, connection))
            .header("X-RestLi-Method", "FINDER"))
        .flatMap(
            a -> {
              JsonNode tree = parse(a.body());
              if (a.status() != 200) {
                return Mono.just(lookupFailure(a, tree));
              }
              boolean older = false;
              for (JsonNode post : tree.path("elements")) {
                long created = post.path("createdAt").asLong(Long.MAX_VALUE);
                if (created < since.toEpochMilli()) {
                  older = true;
                  continue;
                }
                if (comparableCommentary(post.path("commentary").asString("")).equals(wanted)) {
                  String urn = post.path("id").asString();
                  return Mono.just(new PublishOutcome.Published(urn, url(urn), a.status(), true));
                }
              }
              int seen = tree.path("elements").size();
              return older || seen < PAGE || number >= LOOKUP_PAGES
                  ? Mono.<PublishOutcome>empty()
                  : page(connection, since, wanted, start + seen, number + 1);
            })
        .onErrorResume(e -> Mono.just(lookupFailed(String.valueOf(e.getMessage()), null, 0)));
  }

  private PublishOutcome lookupFailure(Answer a, JsonNode tree) {
    String message = message(tree, a.body());
    if (a.status() == 401) {
      return new PublishOutcome.Permanent(
          "AUTH_REVOKED", "could not read the member's posts: " + message, a.status());
    }
    if (a.status() == 403) {
      return new PublishOutcome.Permanent(
          "CANNOT_VERIFY",
          "an earlier attempt may have posted, and LinkedIn does not let this app read the"
              + " member's posts (r_member_social): check the account, and retry the job only if"
              + " the post is not there ("
              + message
              + ")",
          a.status());
    }
    return lookupFailed(message, a.status() == 429 ? retryAfter(a) : null, a.status());
  }

  /** Compared unescaped, without links and runs of white space. */
  static String comparableCommentary(String commentary) {
    return comparable(ESCAPED.matcher(commentary).replaceAll("$1"));
  }

  private static String url(String urn) {
    return "https://www.linkedin.com/feed/update/" + urn + "/";
  }

  private static Duration retryAfter(Answer a) {
    String value = a.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER);
    try {
      return value == null ? null : Duration.ofSeconds(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String message(JsonNode tree, String body) {
    if (tree.hasNonNull("message")) {
      String code = tree.path("code").asString("");
      return code.isEmpty()
          ? tree.get("message").asString()
          : code + ": " + tree.get("message").asString();
    }
    return abbreviate(body);
  }
}
