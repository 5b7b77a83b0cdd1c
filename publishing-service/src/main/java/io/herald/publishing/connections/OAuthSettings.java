package io.herald.publishing.connections;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The OAuth 2.0 clients Herald is registered as with each platform.
 *
 * <p>Example ({@code application.yml}):
 *
 * <pre>
 * herald.oauth:
 *   redirect-uri: https://herald.example.com/oauth/callback
 *   platforms:
 *     X:
 *       client-id: ${X_CLIENT_ID}
 *       client-secret: ${X_CLIENT_SECRET:}     # empty for a public client (PKCE only)
 *       authorize-url: https://x.com/i/oauth2/authorize
 *       token-url: https://api.x.com/2/oauth2/token
 *       revoke-url: https://api.x.com/2/oauth2/revoke
 *       identity-url: https://api.x.com/2/users/me
 *       scopes: [tweet.read, tweet.write, users.read, offline.access]
 *     LINKEDIN:
 *       client-id: ${LINKEDIN_CLIENT_ID}
 *       client-secret: ${LINKEDIN_CLIENT_SECRET}
 *       client-authentication: client_secret_post
 *       authorize-url: https://www.linkedin.com/oauth/v2/authorization
 *       token-url: https://www.linkedin.com/oauth/v2/accessToken
 *       revoke-url: https://www.linkedin.com/oauth/v2/revoke
 *       identity-url: https://api.linkedin.com/v2/userinfo
 *       scopes: [openid, profile, w_member_social]
 *     FACEBOOK:                                # Facebook Login for Pages: page access tokens
 *       client-id: ${FACEBOOK_APP_ID}
 *       client-secret: ${FACEBOOK_APP_SECRET}
 *       client-authentication: client_secret_post
 *       authorize-url: https://www.facebook.com/v21.0/dialog/oauth
 *       token-url: https://graph.facebook.com/v21.0/oauth/access_token
 *       identity-url: https://graph.facebook.com/v21.0/me?fields=id,name
 *       scopes: [pages_show_list, pages_manage_posts, pages_read_engagement]
 * </pre>
 *
 * @param redirectUri the callback the platforms send the user back to (the gateway's {@code
 *     /oauth/callback}); registered with each platform's app
 * @param stateLifetime how long an authorization may take, from its start to the callback
 * @param refreshAhead how long before expiry a token is refreshed
 * @param refreshInterval how often each instance looks for tokens due for refresh
 * @param timeout how long one call to a platform's OAuth endpoints may take
 */
@ConfigurationProperties("herald.oauth")
public record OAuthSettings(
    URI redirectUri,
    Duration stateLifetime,
    Duration refreshAhead,
    Duration refreshInterval,
    Duration timeout,
    Map<String, Client> platforms) {

  /**
   * One platform's app.
   *
   * @param clientAuthentication how a confidential client proves itself at the token endpoint:
   *     {@code client_secret_basic} (the default; X) or {@code client_secret_post} (LinkedIn,
   *     Facebook)
   */
  public record Client(
      String clientId,
      String clientSecret,
      String clientAuthentication,
      URI authorizeUrl,
      URI tokenUrl,
      URI revokeUrl,
      URI identityUrl,
      List<String> scopes) {

    public boolean confidential() {
      return clientSecret != null && !clientSecret.isBlank();
    }

    public boolean secretInBody() {
      return "client_secret_post".equals(clientAuthentication);
    }
  }

  public OAuthSettings {
    redirectUri =
        redirectUri == null ? URI.create("http://127.0.0.1:8080/oauth/callback") : redirectUri;
    stateLifetime = stateLifetime == null ? Duration.ofMinutes(10) : stateLifetime;
    refreshAhead = refreshAhead == null ? Duration.ofMinutes(10) : refreshAhead;
    refreshInterval = refreshInterval == null ? Duration.ofSeconds(15) : refreshInterval;
    timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
    platforms = platforms == null ? Map.of() : Map.copyOf(platforms);
  }

  /** The platform's client, or a clear error when it is not configured. */
  public Client client(String platform) {
    Client client = platforms.get(platform);
    if (client == null || client.clientId() == null || client.clientId().isBlank()) {
      throw new IllegalStateException("no OAuth client is configured for " + platform);
    }
    return client;
  }
}
