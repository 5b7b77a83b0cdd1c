package io.herald.deploy.simulators;

import static io.herald.deploy.simulators.AuthorizationCodes.bearer;
import static io.herald.deploy.simulators.AuthorizationCodes.form;
import static io.herald.deploy.simulators.AuthorizationCodes.json;
import static io.herald.deploy.simulators.AuthorizationCodes.query;
import static io.herald.deploy.simulators.AuthorizationCodes.random;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * X as far as Herald uses it: its OAuth 2.0 authorization server, with PKCE checked the way X
 * checks it, and the posts of each account. Stubs name it as their transformer ({@code herald-x}):
 *
 * <ul>
 *   <li>{@code GET /i/oauth2/authorize}: the user "approves" at once: a 302 to {@code redirect_uri}
 *       with the {@code state} and a one-time code bound to the client, the redirect URI and the
 *       {@code code_challenge} (S256 only).
 *   <li>{@code POST /2/oauth2/token}: {@code authorization_code} succeeds only with the code's
 *       client, redirect URI and a {@code code_verifier} whose SHA-256 is the challenge; {@code
 *       refresh_token} rotates the refresh token. Tokens last 2 hours, as X's do.
 *   <li>{@code GET /2/users/me}: the demo account for a token that is not revoked, 401 otherwise.
 *   <li>{@code POST /2/oauth2/revoke}: revokes the token.
 *   <li>{@code POST /2/tweets}: makes the post when the request arrives (so a caller that gives up
 *       waiting for the answer leaves the post behind, as on X) and answers 201 {@code {"data":
 *       {id, text}}}.
 *   <li>{@code GET /2/users/:id/tweets}: the posts made with the same token, newest first, from
 *       {@code start_time}, {@code max_results} (5–100) a page with {@code meta.next_token}; like
 *       X, only the 3,200 most recent, links shortened to t.co and {@code &}, {@code <}, {@code >}
 *       escaped.
 * </ul>
 *
 * Errors have X's shape ({@code {"error": "invalid_request", "error_description": ...}}). State is
 * in memory: tokens issued before a restart of the simulators still work, except that their
 * revocation is forgotten.
 */
public final class XSimulator implements ResponseDefinitionTransformerV2 {

  private static final String DEMO_ACCOUNT =
      "{\"data\":{\"id\":\"2244994945\",\"name\":\"Acme Shoes\",\"username\":\"acmeshoes\"}}";

  private record Posted(String id, String text, Instant at) {}

  /** X keeps more; its timelines show the 3,200 most recent. */
  private static final int TIMELINE = 3_200;

  private static final Pattern LINK = Pattern.compile("https?://[^\\s\\\\]+");
  private static final Pattern TEXT =
      Pattern.compile("\"text\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final AuthorizationCodes codes = new AuthorizationCodes();
  private final Map<String, Timeline<Posted>> posts = new ConcurrentHashMap<>();
  private final AtomicLong postIds = new AtomicLong(1_860_000_000_000_000_000L);
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();

  @Override
  public String getName() {
    return "herald-x";
  }

  @Override
  public boolean applyGlobally() {
    return false;
  }

  @Override
  public ResponseDefinition transform(ServeEvent event) {
    Request request = event.getRequest();
    String path = request.getUrl().split("\\?", 2)[0];
    return switch (path) {
      case "/i/oauth2/authorize" -> authorize(request);
      case "/2/oauth2/token" -> token(form(request.getBodyAsString()));
      case "/2/oauth2/revoke" -> revoke(form(request.getBodyAsString()));
      case "/2/users/me" -> me(request);
      case "/2/tweets" -> post(request);
      default ->
          path.matches("/2/users/[0-9]+/tweets")
              ? timeline(request)
              : json(404, "{\"title\":\"Not Found\",\"status\":404}");
    };
  }

  private ResponseDefinition post(Request request) {
    Matcher text = TEXT.matcher(request.getBodyAsString());
    if (!text.find()) {
      return json(
          400,
          "{\"errors\":[{\"message\":\"$.text is required\"}],\"title\":\"Invalid Request\","
              + "\"detail\":\"One or more parameters to your request was invalid.\","
              + "\"type\":\"https://api.twitter.com/2/problems/invalid-request\"}");
    }
    Posted post =
        new Posted(Long.toString(postIds.incrementAndGet()), text.group(1), Instant.now());
    posts.computeIfAbsent(bearer(request), t -> new Timeline<>(TIMELINE)).add(post);
    return new ResponseDefinitionBuilder()
        .withStatus(201)
        .withHeader("Content-Type", "application/json")
        .withHeader("x-rate-limit-limit", "200")
        .withHeader("x-rate-limit-remaining", "199")
        .withHeader(
            "x-rate-limit-reset", Long.toString(Instant.now().plusSeconds(900).getEpochSecond()))
        .withBody("{\"data\":{\"id\":\"" + post.id() + "\",\"text\":\"" + post.text() + "\"}}")
        .build();
  }

  private ResponseDefinition timeline(Request request) {
    Map<String, String> query = query(request);
    Instant since;
    int size;
    int from;
    try {
      since = Instant.parse(query.getOrDefault("start_time", "2010-11-06T00:00:00Z"));
      size = Integer.parseInt(query.getOrDefault("max_results", "10"));
      from = Integer.parseInt(query.getOrDefault("pagination_token", "0"));
    } catch (RuntimeException e) {
      return json(
          400,
          "{\"title\":\"Invalid Request\",\"detail\":\"One or more parameters to your request"
              + " was invalid.\",\"type\":\"https://api.twitter.com/2/problems/invalid-request\"}");
    }
    if (size < 5 || size > 100) {
      return json(
          400,
          "{\"title\":\"Invalid Request\",\"detail\":\"The `max_results` query parameter value ["
              + size
              + "] is not between 5 and 100\",\"type\":\"https://api.twitter.com/2/problems/invalid-request\"}");
    }
    List<Posted> matching = new ArrayList<>();
    for (Posted p : posts.getOrDefault(bearer(request), new Timeline<>(0))) {
      if (!p.at().isBefore(since)) {
        matching.add(p);
      }
    }
    List<Posted> page =
        matching.subList(Math.min(from, matching.size()), Math.min(from + size, matching.size()));
    StringBuilder body = new StringBuilder("{");
    if (!page.isEmpty()) {
      body.append("\"data\":[");
      for (int i = 0; i < page.size(); i++) {
        Posted p = page.get(i);
        body.append(i == 0 ? "" : ",")
            .append("{\"id\":\"")
            .append(p.id())
            .append("\",\"text\":\"")
            .append(shown(p.text()))
            .append("\",\"created_at\":\"")
            .append(p.at())
            .append("\",\"edit_history_tweet_ids\":[\"")
            .append(p.id())
            .append("\"]}");
      }
      body.append("],");
    }
    body.append("\"meta\":{\"result_count\":").append(page.size());
    if (!page.isEmpty()) {
      body.append(",\"newest_id\":\"")
          .append(page.get(0).id())
          .append("\",\"oldest_id\":\"")
          .append(page.get(page.size() - 1).id())
          .append('"');
    }
    if (from + size < matching.size()) {
      body.append(",\"next_token\":\"").append(from + size).append('"');
    }
    return json(200, body.append("}}").toString());
  }

  /** As X shows a post: links shortened, {@code &}, {@code <} and {@code >} escaped. */
  private static String shown(String text) {
    return LINK.matcher(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        .replaceAll("https://t.co/hErAlD0001");
  }

  private ResponseDefinition authorize(Request request) {
    ResponseDefinition approved = codes.approve(query(request), true);
    return approved != null
        ? approved
        : error(
            400,
            "invalid_request",
            "response_type, client_id, redirect_uri, state and code_challenge (S256) are required.");
  }

  private ResponseDefinition token(Map<String, String> form) {
    String grantType = form.getOrDefault("grant_type", "");
    if ("authorization_code".equals(grantType)) {
      boolean valid =
          codes.redeem(
              form.get("code"),
              form.get("client_id"),
              form.get("redirect_uri"),
              form.get("code_verifier"));
      if (!valid) {
        return error(
            400, "invalid_request", "Value passed for the authorization code was invalid.");
      }
      return tokens();
    }
    if ("refresh_token".equals(grantType)) {
      String refresh = form.getOrDefault("refresh_token", "");
      if (!refresh.startsWith("xrt-") || !revoked.add(refresh)) {
        return error(400, "invalid_request", "Value passed for the token was invalid.");
      }
      return tokens();
    }
    return error(400, "unsupported_grant_type", "Unsupported grant type " + grantType);
  }

  private ResponseDefinition revoke(Map<String, String> form) {
    String token = form.get("token");
    if (token == null) {
      return error(400, "invalid_request", "Missing required parameter [token].");
    }
    revoked.add(token);
    return json(200, "{\"revoked\":true}");
  }

  private ResponseDefinition me(Request request) {
    String authorization = request.getHeader("Authorization");
    if (authorization == null
        || !authorization.startsWith("Bearer xat-")
        || revoked.contains(authorization.substring("Bearer ".length()))) {
      return json(
          401,
          "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,\"detail\":\"Unauthorized\"}");
    }
    return json(200, DEMO_ACCOUNT);
  }

  private static ResponseDefinition tokens() {
    return json(
        200,
        "{\"token_type\":\"bearer\",\"expires_in\":7200,\"access_token\":\"xat-"
            + random(32)
            + "\",\"scope\":\"tweet.read tweet.write users.read offline.access\",\"refresh_token\":\"xrt-"
            + random(32)
            + "\"}");
  }

  private static ResponseDefinition error(int status, String error, String description) {
    return json(
        status,
        "{\"error\":\""
            + error
            + "\",\"error_description\":\""
            + description.replace("\"", "'")
            + "\"}");
  }
}
