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
 * LinkedIn as far as Herald uses it, for stubs that name this transformer ({@code
 * herald-linkedin}):
 *
 * <ul>
 *   <li>{@code GET /oauth/v2/authorization}: approves at once (302 with state and code; PKCE
 *       checked when a challenge was sent).
 *   <li>{@code POST /oauth/v2/accessToken}: {@code authorization_code} with {@code client_id} and
 *       {@code client_secret} in the body, as LinkedIn wants them; {@code refresh_token}. Tokens
 *       last 60 days, refresh tokens a year, as LinkedIn's do.
 *   <li>{@code POST /oauth/v2/revoke}, {@code GET /v2/userinfo} (OpenID: the demo member).
 *   <li>{@code POST /rest/posts}: refuses a request without {@code LinkedIn-Version} (400 {@code
 *       VERSION_MISSING}), makes the post when the request arrives and answers 201 with its URN in
 *       {@code x-restli-id}.
 *   <li>{@code GET /rest/posts?q=author&author=…}: the author's posts, newest first, {@code
 *       start}/{@code count} paging.
 * </ul>
 *
 * Errors have LinkedIn's shapes ({@code {"error", "error_description"}} from OAuth, {@code
 * {"status", "serviceErrorCode", "code", "message"}} from the API). State is in memory.
 */
public final class LinkedInSimulator implements ResponseDefinitionTransformerV2 {

  private static final String MEMBER = "782bbtaQ";
  private static final String AUTHOR = "urn:li:person:" + MEMBER;
  private static final int KEPT = 3_200;
  private static final Pattern COMMENTARY =
      Pattern.compile("\"commentary\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern AUTHOR_FIELD = Pattern.compile("\"author\"\\s*:\\s*\"([^\"]+)\"");

  private record Posted(String urn, String author, String commentary, Instant at) {}

  private final AuthorizationCodes codes = new AuthorizationCodes();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final Timeline<Posted> posts = new Timeline<>(KEPT);
  private final AtomicLong ids = new AtomicLong(7_100_000_000_000_000_000L);

  @Override
  public String getName() {
    return "herald-linkedin";
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
      case "/oauth/v2/authorization" -> authorize(request);
      case "/oauth/v2/accessToken" -> token(form(request.getBodyAsString()));
      case "/oauth/v2/revoke" -> revoke(form(request.getBodyAsString()));
      case "/v2/userinfo" ->
          valid(request)
              ? json(
                  200,
                  "{\"sub\":\""
                      + MEMBER
                      + "\",\"email_verified\":true,\"name\":\"Acme Shoes\",\"locale\":"
                      + "{\"country\":\"US\",\"language\":\"en\"},\"given_name\":\"Acme\","
                      + "\"family_name\":\"Shoes\",\"email\":\"social@acme.example\"}")
              : unauthorized();
      case "/rest/posts" ->
          request.getMethod().getName().equals("POST") ? post(request) : byAuthor(request);
      default -> json(404, "{\"status\":404,\"code\":\"NOT_FOUND\",\"message\":\"Not Found\"}");
    };
  }

  private ResponseDefinition authorize(Request request) {
    ResponseDefinition approved = codes.approve(query(request), false);
    return approved != null
        ? approved
        : oauthError(
            "invalid_request", "response_type, client_id, redirect_uri and state are required");
  }

  private ResponseDefinition token(Map<String, String> form) {
    if (form.getOrDefault("client_secret", "").isBlank()) {
      return oauthError("invalid_client", "Client authentication failed");
    }
    String grantType = form.getOrDefault("grant_type", "");
    if ("authorization_code".equals(grantType)) {
      if (!codes.redeem(
          form.get("code"),
          form.get("client_id"),
          form.get("redirect_uri"),
          form.get("code_verifier"))) {
        return oauthError(
            "invalid_request",
            "Unable to retrieve access token: appid/redirect uri/code verifier does not match"
                + " authorization code. Or authorization code expired.");
      }
      return tokens("AQW" + random(24));
    }
    if ("refresh_token".equals(grantType)) {
      String refresh = form.getOrDefault("refresh_token", "");
      if (!refresh.startsWith("AQW") || revoked.contains(refresh)) {
        return oauthError("invalid_request", "The provided refresh token is invalid");
      }
      return tokens(refresh);
    }
    return oauthError("unsupported_grant_type", "Unsupported grant type " + grantType);
  }

  private ResponseDefinition tokens(String refresh) {
    String access = "AQV" + random(32);
    return json(
        200,
        "{\"access_token\":\""
            + access
            + "\",\"expires_in\":5184000,\"refresh_token\":\""
            + refresh
            + "\",\"refresh_token_expires_in\":31536000,\"scope\":\"openid,profile,w_member_social\","
            + "\"token_type\":\"Bearer\"}");
  }

  private ResponseDefinition revoke(Map<String, String> form) {
    if (form.get("token") == null || form.getOrDefault("client_secret", "").isBlank()) {
      return oauthError("invalid_request", "token, client_id and client_secret are required");
    }
    revoked.add(form.get("token"));
    return new ResponseDefinitionBuilder().withStatus(200).build();
  }

  private ResponseDefinition post(Request request) {
    if (request.getHeader("LinkedIn-Version") == null) {
      return json(
          400,
          "{\"status\":400,\"code\":\"VERSION_MISSING\",\"message\":\"A version must be present."
              + " Please specify a version by adding the LinkedIn-Version header.\"}");
    }
    if (!valid(request)) {
      return unauthorized();
    }
    String body = request.getBodyAsString();
    Matcher commentary = COMMENTARY.matcher(body);
    Matcher author = AUTHOR_FIELD.matcher(body);
    if (!commentary.find() || !author.find()) {
      return json(
          422,
          "{\"status\":422,\"message\":\"ERROR :: /author :: field is required but not found and"
              + " has no default value\"}");
    }
    Posted post =
        new Posted(
            "urn:li:share:" + ids.incrementAndGet(),
            author.group(1),
            commentary.group(1),
            Instant.now());
    posts.add(post);
    return new ResponseDefinitionBuilder()
        .withStatus(201)
        .withHeader("x-restli-id", post.urn())
        .withHeader("x-linkedin-id", post.urn())
        .build();
  }

  private ResponseDefinition byAuthor(Request request) {
    if (!valid(request)) {
      return unauthorized();
    }
    Map<String, String> query = query(request);
    String author = query.getOrDefault("author", AUTHOR);
    int start = Integer.parseInt(query.getOrDefault("start", "0"));
    int count = Math.min(100, Integer.parseInt(query.getOrDefault("count", "10")));
    List<Posted> mine = new ArrayList<>();
    for (Posted p : posts) {
      if (p.author().equals(author)) {
        mine.add(p);
      }
    }
    List<Posted> page =
        mine.subList(Math.min(start, mine.size()), Math.min(start + count, mine.size()));
    StringBuilder body = new StringBuilder("{\"paging\":{\"start\":");
    body.append(start).append(",\"count\":").append(count).append(",\"links\":[]},\"elements\":[");
    for (int i = 0; i < page.size(); i++) {
      Posted p = page.get(i);
      body.append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(p.urn())
          .append("\",\"author\":\"")
          .append(p.author())
          .append("\",\"commentary\":\"")
          .append(p.commentary())
          .append("\",\"createdAt\":")
          .append(p.at().toEpochMilli())
          .append(",\"lastModifiedAt\":")
          .append(p.at().toEpochMilli())
          .append(",\"lifecycleState\":\"PUBLISHED\",\"visibility\":\"PUBLIC\"}");
    }
    return json(200, body.append("]}").toString());
  }

  /** Tokens this simulator issued and nobody revoked; any {@code AQV} token after a restart. */
  private boolean valid(Request request) {
    String token = bearer(request);
    return token.startsWith("AQV") && !revoked.contains(token);
  }

  private static ResponseDefinition unauthorized() {
    return json(
        401, "{\"serviceErrorCode\":65600,\"message\":\"Invalid access token\",\"status\":401}");
  }

  private static ResponseDefinition oauthError(String error, String description) {
    return json(400, "{\"error\":\"" + error + "\",\"error_description\":\"" + description + "\"}");
  }
}
