package io.herald.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.herald.support.testing.FreePorts;
import io.herald.support.testing.PostgresTestDatabase;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every endpoint of the gateway against the tokens it must refuse, with production token checks
 * (keys from a JWKS URL, issuer and audience): no token, expired, signed with another key, {@code
 * alg: none}, an HS256 token made with a guessable secret, another issuer, another audience — each
 * a 401 problem; and a valid token without the role an endpoint needs — a 403 problem naming the
 * role. Refusals come before any broker or service is asked: none runs here.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AuthorizationMatrixIT {

  private static final String ISSUER = "https://idp.herald.test/";
  private static final String AUDIENCE = "herald-api";
  private static final int CLOSED_PORT = FreePorts.next();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final RSAKey KEY = rsaKey();
  private static final RSAKey OTHER_KEY = rsaKey();
  private static final HttpServer JWKS = jwks();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("spring.kafka.bootstrap-servers", () -> "127.0.0.1:" + CLOSED_PORT);
    registry.add("spring.kafka.admin.fail-fast", () -> "false");
    registry.add("spring.kafka.admin.auto-create", () -> "false");
    registry.add(
        "herald.registry-url", () -> "http://127.0.0.1:" + CLOSED_PORT + "/apis/registry/v3");
    registry.add(
        "herald.security.jwks-uri",
        () -> "http://127.0.0.1:" + JWKS.getAddress().getPort() + "/jwks.json");
    registry.add("herald.security.issuer", () -> ISSUER);
    registry.add("herald.security.audience", () -> AUDIENCE);
    registry.add(
        "herald.security.stream-ticket-secret", () -> UUID.randomUUID() + "-" + UUID.randomUUID());
    registry.add(
        "herald.gateway.notification-service-url", () -> "http://127.0.0.1:" + CLOSED_PORT);
    registry.add("herald.gateway.publishing-service-url", () -> "http://127.0.0.1:" + CLOSED_PORT);
  }

  @AfterAll
  static void stopJwks() {
    JWKS.stop(0);
  }

  @LocalServerPort int port;
  private WebTestClient http;

  @BeforeEach
  void setUp() {
    http =
        WebTestClient.bindToServer()
            .baseUrl("http://127.0.0.1:" + port)
            .responseTimeout(Duration.ofSeconds(20))
            .build();
  }

  /** An endpoint, a body it accepts, and the roles one of which it needs (none: any caller). */
  record Endpoint(HttpMethod method, String path, String body, List<String> roles) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  static final String NOTIFICATION_TO_ROLE =
      """
      {"recipients": {"roles": ["editor"]}, "channels": ["IN_APP"], "category": "news",
       "title": "Hello", "body": "Hello all editors"}
      """;
  static final String NOTIFICATION_TO_MANY =
      """
      {"recipients": {"userIds": ["u1","u2","u3","u4","u5","u6","u7","u8","u9","u10","u11"]},
       "channels": ["IN_APP"], "category": "news", "title": "Hello", "body": "Hello eleven"}
      """;
  static final String POST =
      "{\"brandId\": \"shoes\", \"text\": \"New shoes\", \"platforms\": [\"X\"]}";

  static List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            HttpMethod.POST, "/api/notifications", NOTIFICATION_TO_ROLE, List.of("sender")),
        new Endpoint(
            HttpMethod.POST, "/api/notifications", NOTIFICATION_TO_MANY, List.of("sender")),
        new Endpoint(HttpMethod.GET, "/api/notifications", null, List.of()),
        new Endpoint(HttpMethod.GET, "/api/notifications/stream", null, List.of()),
        new Endpoint(HttpMethod.POST, "/api/notifications/n1/read", "{}", List.of()),
        new Endpoint(HttpMethod.GET, "/api/notifications/requests", null, List.of()),
        new Endpoint(HttpMethod.DELETE, "/api/notifications/requests/r1", null, List.of()),
        new Endpoint(HttpMethod.PUT, "/api/subscribers/bob", "{}", List.of()),
        new Endpoint(HttpMethod.PUT, "/api/preferences/tenant", "{}", List.of()),
        new Endpoint(HttpMethod.PUT, "/api/templates/welcome/EMAIL/en", "{}", List.of()),
        new Endpoint(HttpMethod.POST, "/api/posts", POST, List.of("author", "admin")),
        new Endpoint(HttpMethod.PUT, "/api/posts/p1", POST, List.of()),
        new Endpoint(HttpMethod.POST, "/api/posts/p1/submit", null, List.of()),
        new Endpoint(HttpMethod.POST, "/api/posts/p1/approve", null, List.of("approver", "admin")),
        new Endpoint(
            HttpMethod.POST,
            "/api/posts/p1/reject",
            "{\"reason\": \"no\"}",
            List.of("approver", "admin")),
        new Endpoint(
            HttpMethod.POST,
            "/api/posts/p1/publish",
            "{\"connectionIds\": [\"c1\"]}",
            List.of("publisher", "approver", "admin")),
        new Endpoint(HttpMethod.POST, "/api/posts/p1/cancel", null, List.of()),
        new Endpoint(HttpMethod.POST, "/api/jobs/j1/retry", null, List.of()),
        new Endpoint(HttpMethod.POST, "/api/posts/approvals", "{\"decisions\": []}", List.of()),
        new Endpoint(HttpMethod.GET, "/api/posts", null, List.of()),
        new Endpoint(HttpMethod.GET, "/api/jobs/j1", null, List.of()),
        new Endpoint(HttpMethod.GET, "/api/audit", null, List.of()),
        new Endpoint(HttpMethod.GET, "/api/connections", null, List.of()),
        new Endpoint(HttpMethod.GET, "/api/admin/dead-letters", null, List.of("operator")),
        new Endpoint(
            HttpMethod.GET,
            "/api/admin/dead-letters/notification.email.v1-dlt",
            null,
            List.of("operator")),
        new Endpoint(
            HttpMethod.POST,
            "/api/admin/dead-letters/notification.email.v1-dlt/replay",
            "{\"ids\": [\"0-1\"]}",
            List.of("operator")),
        new Endpoint(HttpMethod.GET, "/api/admin/replays", null, List.of("operator")));
  }

  static Map<String, Function<String, String>> badTokens() {
    return Map.of(
        "no token", tenant -> null,
        "expired",
            tenant -> signed(KEY, claims(tenant, List.of()).expirationTime(ago(120)).build()),
        "signed with another key", tenant -> signed(OTHER_KEY, claims(tenant, List.of()).build()),
        "alg none", tenant -> unsigned(claims(tenant, List.of()).build()),
        "HS256 with a guessed secret", tenant -> hs256(claims(tenant, List.of()).build()),
        "another issuer",
            tenant -> signed(KEY, claims(tenant, List.of()).issuer("https://evil.test/").build()),
        "another audience",
            tenant -> signed(KEY, claims(tenant, List.of()).audience("other-api").build()));
  }

  static Stream<Arguments> refusedTokens() {
    List<Arguments> cases = new ArrayList<>();
    for (Endpoint endpoint : endpoints()) {
      badTokens().forEach((name, token) -> cases.add(Arguments.of(endpoint, name, token)));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} with {1}: 401")
  @MethodSource("refusedTokens")
  void shouldRefuseATokenThatIsNotValid(
      Endpoint endpoint, String name, Function<String, String> token) throws Exception {
    EntityExchangeResult<byte[]> answer = send(endpoint, token.apply("acme"));

    assertThat(answer.getStatus().value()).as(name).isEqualTo(401);
    assertThat(answer.getResponseHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(answer.getResponseHeaders().getFirst("WWW-Authenticate")).startsWith("Bearer");
    JsonNode problem = JSON.readTree(answer.getResponseBody());
    assertThat(problem.get("type").asString())
        .isEqualTo("https://herald.dev/problems/unauthorized");
    assertThat(problem.get("status").asInt()).isEqualTo(401);
    assertThat(problem.get("detail").asString()).isNotBlank();
  }

  static Stream<Arguments> roleEndpoints() {
    return endpoints().stream().filter(e -> !e.roles().isEmpty()).map(Arguments::of);
  }

  @ParameterizedTest(name = "{0} without its role: 403")
  @MethodSource("roleEndpoints")
  void shouldRefuseATokenWithoutTheRoleNamingIt(Endpoint endpoint) throws Exception {
    String viewer = signed(KEY, claims("acme", List.of("viewer")).build());

    EntityExchangeResult<byte[]> answer = send(endpoint, viewer);

    assertThat(answer.getStatus().value()).isEqualTo(403);
    assertThat(answer.getResponseHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    JsonNode problem = JSON.readTree(answer.getResponseBody());
    assertThat(problem.get("type").asString()).isEqualTo("https://herald.dev/problems/forbidden");
    assertThat(problem.get("missingRole").asString()).isEqualTo(endpoint.roles().get(0));
  }

  static Stream<Arguments> validTokens() {
    return Stream.of(Arguments.of("sender", NOTIFICATION_TO_ROLE));
  }

  @ParameterizedTest(name = "a valid {0} token passes the checks")
  @MethodSource("validTokens")
  void shouldLetAValidTokenWithTheRoleThrough(String role, String body) throws Exception {
    // Accepted by the checks, the command then meets the broker that is not there: 503.
    EntityExchangeResult<byte[]> answer =
        send(
            new Endpoint(HttpMethod.POST, "/api/notifications", body, List.of(role)),
            signed(KEY, claims("acme", List.of(role)).build()));

    assertThat(answer.getStatus().value()).isEqualTo(503);
    assertThat(JSON.readTree(answer.getResponseBody()).get("type").asString())
        .isEqualTo("https://herald.dev/problems/broker-unavailable");
  }

  private EntityExchangeResult<byte[]> send(Endpoint endpoint, String token) {
    WebTestClient.RequestBodySpec request = http.method(endpoint.method()).uri(endpoint.path());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    WebTestClient.RequestHeadersSpec<?> withBody =
        endpoint.body() == null
            ? request
            : request.contentType(MediaType.APPLICATION_JSON).bodyValue(endpoint.body());
    return withBody.exchange().expectBody().returnResult();
  }

  private static JWTClaimsSet.Builder claims(String tenant, List<String> roles) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject("alice")
        .claim("tenant", tenant)
        .claim("roles", roles)
        .claim("brands", List.of("*"))
        .issueTime(new Date())
        .expirationTime(Date.from(Instant.now().plusSeconds(300)));
  }

  private static Date ago(long seconds) {
    return Date.from(Instant.now().minusSeconds(seconds));
  }

  private static String signed(RSAKey key, JWTClaimsSet claims) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .keyID("k1")
                  .type(JOSEObjectType.JWT)
                  .build(),
              claims);
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hs256(JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      jwt.sign(
          new MACSigner(
              "herald-herald-herald-herald-herald-herald".getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String unsigned(JWTClaimsSet claims) {
    return Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")
        + "."
        + Base64URL.encode(claims.toString())
        + ".";
  }

  private static RSAKey rsaKey() {
    try {
      return new RSAKeyGenerator(2048).keyID("k1").generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpServer jwks() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      byte[] keys = new JWKSet(KEY.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
      server.createContext(
          "/jwks.json",
          exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, keys.length);
            exchange.getResponseBody().write(keys);
            exchange.close();
          });
      server.start();
      return server;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
