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
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OAuth 2.0 side of platform connections, on the Nimbus OAuth SDK: the authorization request
 * with PKCE (S256), the code exchange, token refresh and revocation, and the identity call that
 * tells whose account a token is for. Calls are blocking; callers keep them off event loops.
 */
public class OAuthFlows {

  /** Tokens as the platform issued them. */
  public record Issued(String accessToken, String refreshToken, Instant expiresAt) {}

  /** Whose account a token is for. */
  public record Identity(String accountId, String accountName) {}

  /** A platform's refusal ({@code invalid_grant}, 401 …), permanent unless {@code transient}. */
  public static final class OAuthException extends RuntimeException {
    private final String code;
    private final boolean retryable;

    OAuthException(String code, String message, boolean retryable) {
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
                client.revokeUrl(),
                new ClientSecretBasic(
                    new ClientID(client.clientId()), new Secret(client.clientSecret())),
                new BearerAccessToken(token))
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
    if (status == 401 || status == 403) {
      throw new OAuthException(
          "AUTH_REVOKED", "the platform refused the token (" + status + ")", false);
    }
    if (status != 200) {
      throw new OAuthException(
          "PLATFORM_UNAVAILABLE", "identity answered " + status, status >= 500);
    }
    JsonNode body = json.readTree(response.getBody());
    // X: {"data": {"id", "name", "username"}}
    JsonNode data = body.path("data");
    return new Identity(data.path("id").asString(), data.path("username").asString(null));
  }

  private Issued tokens(String platform, AuthorizationGrant grant) {
    OAuthSettings.Client client = settings.client(platform);
    TokenRequest request =
        client.confidential()
            ? new TokenRequest(
                client.tokenUrl(),
                new ClientSecretBasic(
                    new ClientID(client.clientId()), new Secret(client.clientSecret())),
                grant)
            : new TokenRequest(client.tokenUrl(), new ClientID(client.clientId()), grant);
    HTTPRequest http = request.toHTTPRequest();
    timeouts(http);
    HTTPResponse response = send(http);
    TokenResponse parsed;
    try {
      parsed = TokenResponse.parse(response);
    } catch (ParseException e) {
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
