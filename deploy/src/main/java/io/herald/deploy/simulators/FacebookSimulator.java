package io.herald.deploy.simulators;

import static io.herald.deploy.simulators.AuthorizationCodes.bearer;
import static io.herald.deploy.simulators.AuthorizationCodes.form;
import static io.herald.deploy.simulators.AuthorizationCodes.json;
import static io.herald.deploy.simulators.AuthorizationCodes.query;
import static io.herald.deploy.simulators.AuthorizationCodes.random;

import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Facebook Graph API as far as Herald uses it (any version prefix, {@code /v23.0/…}), for stubs
 * that name this transformer ({@code herald-facebook}): Facebook Login ({@code /dialog/oauth}
 * approves at once), the code exchange ({@code POST /oauth/access_token} with {@code client_secret}
 * in the body, a short-lived user token), the long-lived exchange ({@code GET
 * /oauth/access_token?grant_type=fb_exchange_token}), the user's pages with their page tokens
 * ({@code GET /me/accounts}: the demo page), {@code GET /me} (the page, for a page token), {@code
 * POST /{page-id}/feed} (makes the post when the request arrives; 200 {@code {"id":
 * "<page>_<post>"}}) and {@code GET /{page-id}/posts?since=} (newest first). Errors have the Graph
 * API's shape ({@code {"error": {"message", "type", "code", "fbtrace_id"}}}); a token the simulator
 * does not know is code 190. State is in memory.
 */
public final class FacebookSimulator implements ResponseDefinitionTransformerV2 {

  private static final String PAGE_ID = "101355405969734";
  private static final String PAGE_NAME = "Acme Shoes";
  private static final int KEPT = 3_200;
  private static final Pattern VERSION = Pattern.compile("^/v[0-9]+\\.[0-9]+");
  private static final Pattern FEED = Pattern.compile("/([0-9]+)/(feed|posts)");
  private static final DateTimeFormatter GRAPH_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ").withZone(ZoneOffset.UTC);

  private record Posted(String id, String message, Instant at) {}

  private final AuthorizationCodes codes = new AuthorizationCodes();
  private final Timeline<Posted> posts = new Timeline<>(KEPT);
  private final AtomicLong ids = new AtomicLong(122_110_834_924_000_000L);

  @Override
  public String getName() {
    return "herald-facebook";
  }

  @Override
  public boolean applyGlobally() {
    return false;
  }

  @Override
  public ResponseDefinition transform(ServeEvent event) {
    Request request = event.getRequest();
    String path = VERSION.matcher(request.getUrl().split("\\?", 2)[0]).replaceFirst("");
    boolean post = request.getMethod().getName().equals("POST");
    if (path.equals("/dialog/oauth")) {
      ResponseDefinition approved = codes.approve(query(request), false);
      return approved != null ? approved : graphError(100, "Invalid parameter", 400);
    }
    if (path.equals("/oauth/access_token")) {
      return post ? exchange(form(request.getBodyAsString())) : longLived(query(request));
    }
    if (path.equals("/me/accounts")) {
      return bearer(request).startsWith("EAAL")
          ? json(
              200,
              "{\"data\":[{\"access_token\":\"EAAP"
                  + random(24)
                  + "\",\"category\":\"Shopping & retail\",\"category_list\":[{\"id\":\"200600219953504\","
                  + "\"name\":\"Shopping & retail\"}],\"name\":\""
                  + PAGE_NAME
                  + "\",\"id\":\""
                  + PAGE_ID
                  + "\",\"tasks\":[\"ANALYZE\",\"ADVERTISE\",\"MODERATE\",\"CREATE_CONTENT\",\"MANAGE\"]}],"
                  + "\"paging\":{\"cursors\":{\"before\":\"QVFIUk\",\"after\":\"QVFIUk\"}}}")
          : invalidToken();
    }
    if (path.equals("/me")) {
      return pageToken(request)
          ? json(200, "{\"name\":\"" + PAGE_NAME + "\",\"id\":\"" + PAGE_ID + "\"}")
          : invalidToken();
    }
    Matcher feed = FEED.matcher(path);
    if (feed.matches()) {
      if (!pageToken(request)) {
        return invalidToken();
      }
      return post && feed.group(2).equals("feed")
          ? publish(feed.group(1), form(request.getBodyAsString()))
          : list(feed.group(1), query(request));
    }
    return graphError(
        100, "Unsupported request - method type: " + request.getMethod().getName(), 400);
  }

  private ResponseDefinition exchange(Map<String, String> form) {
    if (form.getOrDefault("client_secret", "").isBlank()) {
      return graphError(1, "Missing client_secret parameter.", 400);
    }
    if (!codes.redeem(
        form.get("code"),
        form.get("client_id"),
        form.get("redirect_uri"),
        form.get("code_verifier"))) {
      return graphError(100, "Invalid verification code format.", 400);
    }
    return json(
        200,
        "{\"access_token\":\"EAAS"
            + random(32)
            + "\",\"token_type\":\"bearer\",\"expires_in\":5183944}");
  }

  private ResponseDefinition longLived(Map<String, String> query) {
    if (!"fb_exchange_token".equals(query.get("grant_type"))
        || query.getOrDefault("client_secret", "").isBlank()
        || !query.getOrDefault("fb_exchange_token", "").startsWith("EAAS")) {
      return graphError(190, "Invalid OAuth access token - Cannot parse access token", 400);
    }
    return json(
        200,
        "{\"access_token\":\"EAAL"
            + random(32)
            + "\",\"token_type\":\"bearer\",\"expires_in\":5183944}");
  }

  private ResponseDefinition publish(String page, Map<String, String> form) {
    String message = form.get("message");
    if ((message == null || message.isBlank()) && form.get("link") == null) {
      return graphError(100, "(#100) Missing message or attachment", 400);
    }
    Posted posted =
        new Posted(
            page + "_" + ids.incrementAndGet(), message == null ? "" : message, Instant.now());
    posts.add(posted);
    return json(200, "{\"id\":\"" + posted.id() + "\"}");
  }

  private ResponseDefinition list(String page, Map<String, String> query) {
    long since = Long.parseLong(query.getOrDefault("since", "0"));
    int limit = Math.min(100, Integer.parseInt(query.getOrDefault("limit", "25")));
    List<Posted> found = new ArrayList<>();
    for (Posted p : posts) {
      if (p.id().startsWith(page + "_")
          && p.at().getEpochSecond() >= since
          && found.size() < limit) {
        found.add(p);
      }
    }
    StringBuilder body = new StringBuilder("{\"data\":[");
    for (int i = 0; i < found.size(); i++) {
      Posted p = found.get(i);
      body.append(i == 0 ? "" : ",")
          .append("{\"created_time\":\"")
          .append(GRAPH_TIME.format(p.at()))
          .append("\",\"message\":\"")
          .append(p.message().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
          .append("\",\"id\":\"")
          .append(p.id())
          .append("\"}");
    }
    return json(200, body.append("]}").toString());
  }

  private static boolean pageToken(Request request) {
    String token = bearer(request);
    if (token.isEmpty()) {
      token = query(request).getOrDefault("access_token", "");
    }
    return token.startsWith("EAAP");
  }

  private static ResponseDefinition invalidToken() {
    return graphError(190, "Invalid OAuth access token - Cannot parse access token", 400);
  }

  private static ResponseDefinition graphError(int code, String message, int status) {
    return json(
        status,
        "{\"error\":{\"message\":\""
            + message
            + "\",\"type\":\"OAuthException\",\"code\":"
            + code
            + ",\"fbtrace_id\":\"A"
            + random(8)
            + "\"}}");
  }
}
