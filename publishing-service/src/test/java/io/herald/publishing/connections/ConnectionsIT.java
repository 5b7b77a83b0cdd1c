package io.herald.publishing.connections;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.herald.publishing.PublishingIntegrationTest;
import io.herald.support.testing.PostgresTestDatabase;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

/**
 * Connecting an X account with OAuth 2.0 authorization code and PKCE, against WireMock playing X's
 * authorization server and API as X documents them. The test plays the browser: it takes the
 * authorize URL, and comes back to the callback with the state and a code.
 */
class ConnectionsIT extends PublishingIntegrationTest {

  private final String brand = "brand-" + UUID.randomUUID();
  private final String admin = token("ada", List.of("admin"), List.of(brand));
  private final String accessToken = "xat-" + UUID.randomUUID();
  private final String refreshToken = "xrt-" + UUID.randomUUID();
  private final String code = "code-" + UUID.randomUUID();

  @org.springframework.beans.factory.annotation.Autowired private javax.sql.DataSource dataSource;
  @org.springframework.beans.factory.annotation.Autowired private ConnectionStore store;

  @Test
  void shouldConnectAnAccountWithPkceAndSealItsTokens() throws Exception {
    stubTokenAndIdentity(code);

    Map<String, String> query = authorize();
    assertThat(query)
        .containsEntry("response_type", "code")
        .containsEntry("client_id", "herald-test-client")
        .containsEntry("redirect_uri", "http://127.0.0.1:8080/oauth/callback")
        .containsEntry("code_challenge_method", "S256")
        .containsKey("state")
        .containsKey("code_challenge");
    assertThat(query.get("scope")).contains("tweet.write").contains("offline.access");

    ResponseEntity<Map<String, Object>> connected = callback(query.get("state"), code);

    assertThat(connected.getStatusCode().value()).isEqualTo(200);
    assertThat(connected.getBody())
        .containsEntry("platform", "X")
        .containsEntry("brandId", brand)
        .containsEntry("accountId", "2244994945")
        .containsEntry("accountName", "acmeshoes")
        .containsEntry("status", "connected");
    assertThat(connected.getBody().toString())
        .doesNotContain(accessToken)
        .doesNotContain(refreshToken);
    LoggedRequest exchange = tokenRequests(code).get(0);
    Map<String, String> form = form(exchange.getBodyAsString());
    assertThat(form)
        .containsEntry("grant_type", "authorization_code")
        .containsEntry("code", code)
        .containsEntry("redirect_uri", "http://127.0.0.1:8080/oauth/callback")
        .containsEntry("client_id", "herald-test-client");
    assertThat(s256(form.get("code_verifier")))
        .as("the verifier sent is the one the challenge was made from")
        .isEqualTo(query.get("code_challenge"));

    String connectionId = (String) connected.getBody().get("connectionId");
    List<String> stored =
        PostgresTestDatabase.shared()
            .column(
                "select encode(access_token, 'base64') || encode(refresh_token, 'base64')"
                    + " || encode(access_token, 'escape') from platform_connections"
                    + " where connection_id = '"
                    + connectionId
                    + "'");
    assertThat(stored).hasSize(1);
    assertThat(stored.get(0)).doesNotContain(accessToken).doesNotContain(refreshToken);
    assertThat(items(get("/api/connections?brandId=" + brand, admin)))
        .extracting(c -> c.get("connectionId"))
        .containsExactly(connectionId);
  }

  @Test
  void shouldConnectALinkedInMemberWithTheClientSecretInTheTokenRequest() throws Exception {
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/oauth/v2/accessToken"))
            .withRequestBody(containing("code=" + code))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"access_token\":\""
                            + accessToken
                            + "\",\"expires_in\":5184000,\"refresh_token\":\""
                            + refreshToken
                            + "\",\"refresh_token_expires_in\":31536000,"
                            + "\"scope\":\"openid,profile,w_member_social\",\"token_type\":\"Bearer\"}")));
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/v2/userinfo"))
            .withHeader("Authorization", equalTo("Bearer " + accessToken))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"sub\":\"782bbtaQ\",\"name\":\"Ada Lovelace\",\"given_name\":\"Ada\","
                            + "\"family_name\":\"Lovelace\",\"locale\":{\"country\":\"GB\",\"language\":\"en\"}}")));

    Map<String, String> query =
        authorize(
            "{\"brandId\":\"" + brand + "\",\"platform\":\"LINKEDIN\"}", "/oauth/v2/authorization");
    assertThat(query)
        .containsEntry("client_id", "herald-linkedin")
        .containsEntry("code_challenge_method", "S256");
    assertThat(query.get("scope")).contains("w_member_social");
    ResponseEntity<Map<String, Object>> connected = callback(query.get("state"), code);

    assertThat(connected.getStatusCode().value())
        .as(String.valueOf(connected.getBody()))
        .isEqualTo(200);
    assertThat(connected.getBody())
        .containsEntry("platform", "LINKEDIN")
        .containsEntry("accountId", "urn:li:person:782bbtaQ")
        .containsEntry("accountName", "Ada Lovelace");
    LoggedRequest exchange =
        PLATFORMS
            .findAll(
                postRequestedFor(urlPathEqualTo("/oauth/v2/accessToken"))
                    .withRequestBody(containing("code=" + code)))
            .get(0);
    assertThat(form(exchange.getBodyAsString()))
        .containsEntry("grant_type", "authorization_code")
        .containsEntry("client_id", "herald-linkedin")
        .containsEntry("client_secret", "linkedin-secret")
        .containsKey("code_verifier");
    assertThat(exchange.containsHeader("Authorization")).isFalse();
  }

  @Test
  void shouldConnectTheFacebookPageNamedWithItsPageToken() throws Exception {
    String userToken = "EAAshort" + UUID.randomUUID().toString().replace("-", "");
    String longLived = "EAAlong" + UUID.randomUUID().toString().replace("-", "");
    String pageToken = "EAApage" + UUID.randomUUID().toString().replace("-", "");
    stubFacebook(userToken, longLived, pageToken);

    // Two pages and none named: the user is asked to choose, and no token is shown.
    Map<String, String> unnamed =
        authorize(
            "{\"brandId\":\"" + brand + "\",\"platform\":\"FACEBOOK\"}", "/v23.0/dialog/oauth");
    assertThat(unnamed.get("scope")).contains("pages_manage_posts");
    ResponseEntity<Map<String, Object>> choose = callback(unnamed.get("state"), code);
    assertThat(choose.getStatusCode().value()).isEqualTo(409);
    assertThat(choose.getBody())
        .containsEntry("type", "https://herald.dev/problems/facebook-page-required");
    assertThat(choose.getBody().toString())
        .contains("101355405969734")
        .contains("Acme Shoes")
        .doesNotContain(pageToken)
        .doesNotContain(longLived);

    Map<String, String> named =
        authorize(
            "{\"brandId\":\""
                + brand
                + "\",\"platform\":\"FACEBOOK\",\"pageId\":\"101355405969734\"}",
            "/v23.0/dialog/oauth");
    ResponseEntity<Map<String, Object>> connected = callback(named.get("state"), code);

    assertThat(connected.getStatusCode().value())
        .as(String.valueOf(connected.getBody()))
        .isEqualTo(200);
    assertThat(connected.getBody())
        .containsEntry("platform", "FACEBOOK")
        .containsEntry("accountId", "101355405969734")
        .containsEntry("accountName", "Acme Shoes")
        .containsEntry("expiresAt", null);
    assertThat(
            PLATFORMS.findAll(
                WireMock.getRequestedFor(urlPathEqualTo("/v23.0/oauth/access_token"))
                    .withQueryParam("grant_type", equalTo("fb_exchange_token"))
                    .withQueryParam("fb_exchange_token", equalTo(userToken))))
        .isNotEmpty();
    String connectionId = (String) connected.getBody().get("connectionId");
    try (java.sql.Connection db = dataSource.getConnection()) {
      ConnectionStore.Key key = new ConnectionStore.Key(tenant, connectionId);
      assertThat(store.load(db, List.of(key)).get(key).accessToken())
          .as("the page token is what the connection keeps")
          .isEqualTo(pageToken);
      db.commit();
    }
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "select encode(access_token, 'escape') from platform_connections"
                        + " where connection_id = '"
                        + connectionId
                        + "'"))
        .singleElement()
        .asString()
        .doesNotContain(pageToken);
  }

  private void stubFacebook(String userToken, String longLived, String pageToken) {
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/v23.0/oauth/access_token"))
            .withRequestBody(containing("code=" + code))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"access_token\":\""
                            + userToken
                            + "\",\"token_type\":\"bearer\",\"expires_in\":5183944}")));
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/v23.0/oauth/access_token"))
            .withQueryParam("grant_type", equalTo("fb_exchange_token"))
            .withQueryParam("client_id", equalTo("herald-facebook"))
            .withQueryParam("client_secret", equalTo("facebook-secret"))
            .withQueryParam("fb_exchange_token", equalTo(userToken))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"access_token\":\""
                            + longLived
                            + "\",\"token_type\":\"bearer\",\"expires_in\":5183944}")));
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/v23.0/me/accounts"))
            .withHeader("Authorization", equalTo("Bearer " + longLived))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"data\":[{\"access_token\":\""
                            + pageToken
                            + "\",\"category\":\"Shopping & retail\",\"name\":\"Acme Shoes\","
                            + "\"id\":\"101355405969734\",\"tasks\":[\"ANALYZE\",\"ADVERTISE\",\"MODERATE\",\"CREATE_CONTENT\",\"MANAGE\"]},"
                            + "{\"access_token\":\"EAAother\",\"category\":\"Brand\",\"name\":\"Acme Hats\","
                            + "\"id\":\"101355405969735\",\"tasks\":[\"CREATE_CONTENT\"]}],"
                            + "\"paging\":{\"cursors\":{\"before\":\"QVFI\",\"after\":\"QVFJ\"}}}")));
  }

  @Test
  void shouldRefuseAnUnknownOrReusedState() throws Exception {
    stubTokenAndIdentity(code);
    Map<String, String> query = authorize();

    ResponseEntity<Map<String, Object>> forged = callback(UUID.randomUUID().toString(), code);
    assertThat(forged.getStatusCode().value()).isEqualTo(400);
    assertThat(forged.getBody())
        .containsEntry("type", "https://herald.dev/problems/oauth-state-invalid");
    assertThat(tokenRequests(code)).isEmpty();

    assertThat(callback(query.get("state"), code).getStatusCode().value()).isEqualTo(200);
    assertThat(callback(query.get("state"), code).getStatusCode().value())
        .as("a state works once")
        .isEqualTo(400);
    assertThat(tokenRequests(code)).hasSize(1);
  }

  @Test
  void shouldStoreNothingWhenThePlatformRefusesTheVerifier() throws Exception {
    // X answers this way when the code_verifier does not match the code's challenge.
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/2/oauth2/token"))
            .withRequestBody(containing("code=" + code))
            .willReturn(
                aResponse()
                    .withStatus(400)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"error\":\"invalid_request\",\"error_description\":\"Value passed for the authorization code was invalid.\"}")));
    Map<String, String> query = authorize();

    ResponseEntity<Map<String, Object>> refused = callback(query.get("state"), code);

    assertThat(refused.getStatusCode().value()).isEqualTo(400);
    assertThat(refused.getBody())
        .containsEntry("type", "https://herald.dev/problems/oauth-exchange-failed");
    assertThat((String) refused.getBody().get("detail")).contains("invalid_request");
    assertThat(items(get("/api/connections?brandId=" + brand, admin))).isEmpty();
  }

  @Test
  void shouldReportARevokedTokenAndDisconnect() throws Exception {
    stubTokenAndIdentity(code);
    Map<String, String> query = authorize();
    String connectionId = (String) callback(query.get("state"), code).getBody().get("connectionId");
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/2/users/me"))
            .withHeader("Authorization", equalTo("Bearer " + accessToken))
            .atPriority(1)
            .willReturn(
                aResponse()
                    .withStatus(401)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,\"detail\":\"Unauthorized\"}")));
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/2/oauth2/revoke"))
            .withRequestBody(containing("token=" + accessToken))
            .willReturn(aResponse().withStatus(200).withBody("{\"revoked\":true}")));

    ResponseEntity<Map<String, Object>> verified =
        call(HttpMethod.POST, "/api/connections/" + connectionId + "/verify", admin, null);
    assertThat(verified.getBody()).containsEntry("status", "revoked");

    assertThat(
            call(HttpMethod.DELETE, "/api/connections/" + connectionId, admin, null)
                .getStatusCode()
                .value())
        .isEqualTo(204);
    PLATFORMS.verify(
        1,
        postRequestedFor(urlPathEqualTo("/2/oauth2/revoke"))
            .withRequestBody(containing("token=" + accessToken)));
    assertThat(get("/api/connections/" + connectionId, admin).getStatusCode().value())
        .isEqualTo(404);
  }

  @Test
  void shouldLetOnlyTheBrandsAdminsManageItsConnections() throws Exception {
    String author = token("alice", List.of("author"), List.of(brand));
    String otherAdmin = token("olga", List.of("admin"), List.of("brand-other"));
    String body = "{\"brandId\":\"" + brand + "\",\"platform\":\"X\"}";

    assertThat(
            call(HttpMethod.POST, "/api/connections/authorize", author, body)
                .getStatusCode()
                .value())
        .isEqualTo(403);
    assertThat(
            call(HttpMethod.POST, "/api/connections/authorize", otherAdmin, body)
                .getStatusCode()
                .value())
        .isEqualTo(403);

    stubTokenAndIdentity(code);
    String connectionId =
        (String) callback(authorize().get("state"), code).getBody().get("connectionId");
    assertThat(get("/api/connections/" + connectionId, otherAdmin).getStatusCode().value())
        .isEqualTo(404);
    assertThat(items(get("/api/connections", otherAdmin))).isEmpty();
  }

  private Map<String, String> authorize() {
    return authorize("{\"brandId\":\"" + brand + "\",\"platform\":\"X\"}", "/i/oauth2/authorize");
  }

  private Map<String, String> authorize(String body, String authorizePath) {
    ResponseEntity<Map<String, Object>> started =
        call(HttpMethod.POST, "/api/connections/authorize", admin, body);
    assertThat(started.getStatusCode().value())
        .as(String.valueOf(started.getBody()))
        .isEqualTo(200);
    URI url = URI.create((String) started.getBody().get("authorizeUrl"));
    assertThat(url.getPath()).isEqualTo(authorizePath);
    return form(url.getRawQuery());
  }

  private ResponseEntity<Map<String, Object>> callback(String state, String code) {
    return call(HttpMethod.GET, "/oauth/callback?state=" + state + "&code=" + code, null, null);
  }

  private void stubTokenAndIdentity(String code) {
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/2/oauth2/token"))
            .withRequestBody(containing("code=" + code))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"token_type\":\"bearer\",\"expires_in\":7200,\"access_token\":\""
                            + accessToken
                            + "\",\"scope\":\"tweet.read tweet.write users.read offline.access\","
                            + "\"refresh_token\":\""
                            + refreshToken
                            + "\"}")));
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/2/users/me"))
            .withHeader("Authorization", equalTo("Bearer " + accessToken))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"data\":{\"id\":\"2244994945\",\"name\":\"Acme Shoes\",\"username\":\"acmeshoes\"}}")));
  }

  private List<LoggedRequest> tokenRequests(String code) {
    return PLATFORMS.findAll(
        postRequestedFor(urlPathEqualTo("/2/oauth2/token"))
            .withRequestBody(containing("code=" + code)));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> items(ResponseEntity<Map<String, Object>> page) {
    assertThat(page.getStatusCode().value()).isEqualTo(200);
    return (List<Map<String, Object>>) page.getBody().get("items");
  }

  private static Map<String, String> form(String encoded) {
    return Arrays.stream(encoded.split("&"))
        .map(p -> p.split("=", 2))
        .collect(
            Collectors.toMap(
                p -> URLDecoder.decode(p[0], StandardCharsets.UTF_8),
                p -> p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : ""));
  }

  private static String s256(String verifier) throws Exception {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(
            MessageDigest.getInstance("SHA-256")
                .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
  }
}
