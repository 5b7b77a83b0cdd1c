package io.herald.publishing.connections;

import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.oauth2.sdk.token.Tokens;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.web.util.UriComponentsBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OAuth 2.0 side of platform connections, on the Nimbus OAuth SDK: the authorization request
 * with PKCE (S256), the code exchange, token refresh and revocation, and the identity call that
 * tells whose account a token is for. Calls are blocking; callers keep them off event loops.
 *
 * <p>Per platform: X (API v2) and LinkedIn issue user tokens with refresh tokens (LinkedIn's last
 * 60 days; refresh tokens only for apps LinkedIn enabled for them); the account is X's user id
 * ({@code GET /2/users/me}) or LinkedIn's member URN ({@code urn:li:person:<sub>} from the OpenID
 * {@code /v2/userinfo}). Facebook Login for Pages: the short-lived user token from the code is
 * exchanged for a long-lived one ({@code grant_type=fb_exchange_token}), whose pages ({@code GET
 * /me/accounts}) carry page access tokens that do not expire; the connection is one page and holds
 * only its page token.
 */
public class OAuthFlows {

  /** Tokens as the platform issued them. */
  public record Issued(String accessToken, String refreshToken, Instant expiresAt) {}

  /** Whose account a token is for. */
  public record Identity(String accountId, String accountName) {}

  /** What an authorization grants: the account to publish as and its tokens. */
  public record Granted(Identity identity, Issued issued) {}

  /** A Facebook page the user manages, with its page token. */
  public record Page(String id, String name, String accessToken) {}

  /** A platform's refusal ({@code invalid_grant}, 401 …), permanent unless {@code transient}. */
  public static final class OAuthException extends RuntimeException {
    private final String code;
    private final boolean retryable;

    public OAuthException(String code, String message, boolean retryable) {
      super(message);
      this.code = code;
      this.retryable = retryable;
    }

    public String code() {
      return code;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final OAuthSettings settings;
  private final JsonMapper json;
  private final Clock clock;

  public OAuthFlows(OAuthSettings settings, JsonMapper json, Clock clock) {
    this.settings = settings;
    this.json = json;
    this.clock = clock;
  }

  /** The URL that sends the user to the platform to grant Herald access. */
  public URI authorizeUrl(String platform, String state, CodeVerifier verifier) {
    OAuthSettings.Client client = settings.client(platform);
    return new AuthorizationRequest.Builder(
            new ResponseType(ResponseType.Value.CODE), new ClientID(client.clientId()))
        .endpointURI(client.authorizeUrl())
        .redirectionURI(settings.redirectUri())
        .scope(new Scope(client.scopes().toArray(String[]::new)))
        .state(new State(state))
        .codeChallenge(verifier, CodeChallengeMethod.S256)
        .build()
        .toURI();
  }

  /** Exchanges the callback's code, proving with the verifier that this service asked for it. */
  public Issued exchange(String platform, String code, CodeVerifier verifier) {
    return tokens(
        platform,
        new AuthorizationCodeGrant(new AuthorizationCode(code), settings.redirectUri(), verifier));
  }

  /**
   * The whole callback: exchanges the code and names the account. For Facebook, the page {@code
   * pageId} (or the user's only page) with its page token; {@link #pages} lists them when the user
   * manages several and none was named.
   */
  public Granted connect(String platform, String code, CodeVerifier verifier, String pageId) {
    Issued issued = exchange(platform, code, verifier);
    if (!"FACEBOOK".equals(platform)) {
      return new Granted(identity(platform, issued.accessToken()), issued);
    }
    Issued longLived = longLivedFacebookToken(issued.accessToken());
    List<Page> pages = pages(longLived.accessToken());
    Page page;
    if (pageId != null && !pageId.isBlank()) {
      page =
          pages.stream()
              .filter(p -> p.id().equals(pageId))
              .findFirst()
              .orElseThrow(() -> new PageChoiceException(pageId, pages));
    } else if (pages.size() == 1) {
      page = pages.get(0);
    } else {
      throw new PageChoiceException(null, pages);
    }
    // Page tokens from a long-lived user token do not expire and cannot be refreshed.
    return new Granted(
        new Identity(page.id(), page.name()), new Issued(page.accessToken(), null, null));
  }

  /** The user granted no page, several without naming one, or not the one named. */
  public static final class PageChoiceException extends RuntimeException {
    private final transient List<Page> pages;

    PageChoiceException(String wanted, List<Page> pages) {
      super(
          pages.isEmpty()
              ? "the Facebook user granted access to no page"
              : wanted == null
                  ? "the Facebook user manages several pages: start again with one of their ids as pageId"
                  : "the Facebook user did not grant access to page " + wanted);
      this.pages = List.copyOf(pages);
    }

    /** The pages granted: id and name, never a token. */
    public List<Map<String, String>> granted() {
      return pages.stream().map(p -> Map.of("id", p.id(), "name", p.name())).toList();
    }
  }

  private Issued longLivedFacebookToken(String userToken) {
    OAuthSettings.Client client = settings.client("FACEBOOK");
    URI uri =
        UriComponentsBuilder.fromUri(client.tokenUrl())
            .queryParam("grant_type", "fb_exchange_token")
            .queryParam("client_id", client.clientId())
            .queryParam("client_secret", client.clientSecret())
            .queryParam("fb_exchange_token", userToken)
            .build()
            .encode()
            .toUri();
    HTTPRequest request = new HTTPRequest(HTTPRequest.Method.GET, uri);
    timeouts(request);
    return issued(send(request));
  }

  /** The Facebook pages a user token manages, each with its page token. */
  List<Page> pages(String userToken) {
    OAuthSettings.Client client = settings.client("FACEBOOK");
    URI uri =
        UriComponentsBuilder.fromUri(client.identityUrl())
            .replacePath(client.identityUrl().getPath().replaceFirst("/me$", "/me/accounts"))
            .replaceQuery("fields=id,name,access_token&limit=100")
            .build()
            .toUri();
    HTTPRequest request = new HTTPRequest(HTTPRequest.Method.GET, uri);
    request.setAuthorization(new BearerAccessToken(userToken).toAuthorizationHeader());
    timeouts(request);
    HTTPResponse response = send(request);
    if (response.getStatusCode() != 200) {
      throw graphError(response, "listing the user's pages");
    }
    List<Page> pages = new ArrayList<>();
    for (JsonNode page : json.readTree(response.getBody()).path("data")) {
      pages.add(
          new Page(
              page.path("id").asString(),
              page.path("name").asString(""),
              page.path("access_token").asString()));
    }
    return pages;
  }

  /** Graph API errors: {@code {"error": {"message", "type", "code", "error_subcode"}}}. */
  private OAuthException graphError(HTTPResponse response, String doing) {
    JsonNode error = parseQuietly(response.getBody()).path("error");
    int code = error.path("code").asInt(0);
    String message = error.path("message").asString("HTTP " + response.getStatusCode());
    boolean retryable =
        response.getStatusCode() >= 500 || code == 1 || code == 2 || code == 4 || code == 17;
    return new OAuthException(
        code == 190 ? "AUTH_REVOKED" : "GRAPH_" + code, doing + ": " + message, retryable);
  }

  private JsonNode parseQuietly(String body) {
    try {
      return body == null || body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (RuntimeException e) {
      return json.createObjectNode();
    }
  }

  public Issued refresh(String platform, String refreshToken) {
    return tokens(platform, new RefreshTokenGrant(new RefreshToken(refreshToken)));
  }

  /** Revokes the token at the platform; a platform without revocation is left as it is. */
  public void revoke(String platform, String token) {
    OAuthSettings.Client client = settings.client(platform);
    if (client.revokeUrl() == null) {
      return;
    }
    TokenRevocationRequest request =
        client.confidential()
            ? new TokenRevocationRequest(
                client.revokeUrl(), authentication(client), new BearerAccessToken(token))
            : new TokenRevocationRequest(
                client.revokeUrl(), new ClientID(client.clientId()), new BearerAccessToken(token));
    HTTPRequest http = request.toHTTPRequest();
    timeouts(http);
    HTTPResponse response = send(http);
    if (response.getStatusCode() >= 500) {
      throw new OAuthException(
          "PLATFORM_UNAVAILABLE", "revocation answered " + response.getStatusCode(), true);
    }
  }

  /** The account the token belongs to; a 401 means the token is expired or revoked. */
  public Identity identity(String platform, String accessToken) {
    OAuthSettings.Client client = settings.client(platform);
    HTTPRequest request = new HTTPRequest(HTTPRequest.Method.GET, client.identityUrl());
    request.setAuthorization(new BearerAccessToken(accessToken).toAuthorizationHeader());
    timeouts(request);
    HTTPResponse response = send(request);
    int status = response.getStatusCode();
    if (status == 401
        || status == 403
        || (status == 400
            && parseQuietly(response.getBody()).path("error").path("code").asInt(0) == 190)) {
      throw new OAuthException(
          "AUTH_REVOKED", "the platform refused the token (" + status + ")", false);
    }
    if (status != 200) {
      throw new OAuthException(
          "PLATFORM_UNAVAILABLE", "identity answered " + status, status >= 500);
    }
    JsonNode body = json.readTree(response.getBody());
    switch (platform) {
      case "LINKEDIN":
        // OpenID userinfo: {"sub", "name", ...}; posts are authored by the member's URN.
        return new Identity(
            "urn:li:person:" + body.path("sub").asString(), body.path("name").asString(null));
      case "FACEBOOK":
        // GET /me with a page token is the page: {"id", "name"}.
        return new Identity(body.path("id").asString(), body.path("name").asString(null));
      default:
        // X: {"data": {"id", "name", "username"}}
        JsonNode data = body.path("data");
        return new Identity(data.path("id").asString(), data.path("username").asString(null));
    }
  }

  private Issued tokens(String platform, AuthorizationGrant grant) {
    OAuthSettings.Client client = settings.client(platform);
    TokenRequest request =
        client.confidential()
            ? new TokenRequest(client.tokenUrl(), authentication(client), grant)
            : new TokenRequest(client.tokenUrl(), new ClientID(client.clientId()), grant);
    HTTPRequest http = request.toHTTPRequest();
    timeouts(http);
    return issued(send(http));
  }

  private static ClientAuthentication authentication(OAuthSettings.Client client) {
    ClientID id = new ClientID(client.clientId());
    Secret secret = new Secret(client.clientSecret());
    return client.secretInBody()
        ? new ClientSecretPost(id, secret)
        : new ClientSecretBasic(id, secret);
  }

  /** A token endpoint's answer: the tokens, or the platform's refusal. */
  private Issued issued(HTTPResponse response) {
    TokenResponse parsed;
    try {
      parsed = TokenResponse.parse(response);
    } catch (ParseException e) {
      if (parseQuietly(response.getBody()).path("error").isObject()) {
        throw graphError(response, "the token request");
      }
      throw new OAuthException(
          "PLATFORM_UNAVAILABLE",
          "unreadable token response (" + response.getStatusCode() + "): " + e.getMessage(),
          response.getStatusCode() >= 500);
    }
    if (!parsed.indicatesSuccess()) {
      ErrorObject error = parsed.toErrorResponse().getErrorObject();
      boolean retryable = response.getStatusCode() >= 500 || response.getStatusCode() == 429;
      throw new OAuthException(
          error.getCode() == null ? "token_error" : error.getCode(),
          error.getDescription() == null
              ? "the platform refused the grant"
              : error.getDescription(),
          retryable);
    }
    AccessTokenResponse success = parsed.toSuccessResponse();
    Tokens tokens = success.getTokens();
    long lifetime = tokens.getAccessToken().getLifetime();
    return new Issued(
        tokens.getAccessToken().getValue(),
        tokens.getRefreshToken() == null ? null : tokens.getRefreshToken().getValue(),
        lifetime > 0 ? clock.instant().plusSeconds(lifetime) : null);
  }

  private void timeouts(HTTPRequest request) {
    int millis = (int) settings.timeout().toMillis();
    request.setConnectTimeout(millis);
    request.setReadTimeout(millis);
  }

  private static HTTPResponse send(HTTPRequest request) {
    try {
      return request.send();
    } catch (IOException e) {
      throw new OAuthException(
          "PLATFORM_UNAVAILABLE", "platform unreachable: " + e.getMessage(), true);
    }
  }
}
