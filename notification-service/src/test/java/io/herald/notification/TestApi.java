package io.herald.notification;

import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.time.Duration;
import java.util.Map;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * notification-service's HTTP API as a client sees it, for integration tests: bearer tokens signed
 * with the test's secret and JSON bodies in and out.
 *
 * <p>Example: {@code api.call(HttpMethod.PUT, "/api/subscribers/bob", api.token("acme", "root",
 * "admin"), "{}")}.
 */
public final class TestApi {

  private static final ParameterizedTypeReference<Map<String, Object>> JSON =
      new ParameterizedTypeReference<>() {};

  private final int port;
  private final String secret;

  public TestApi(int port, String secret) {
    this.port = port;
    this.secret = secret;
  }

  /**
   * The registry, the token secret and the shared PostgreSQL, in a {@code @DynamicPropertySource}.
   */
  public static void register(DynamicPropertyRegistry registry, String secret) {
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("herald.security.jwt-secret", () -> secret);
    PostgresTestDatabase.shared().register(registry);
  }

  public String token(String tenant, String user, String... roles) {
    return TestTokens.issue(secret, tenant, user, roles);
  }

  public ResponseEntity<Map<String, Object>> get(String path, String token) {
    return call(HttpMethod.GET, path, token, null);
  }

  /** Sends {@code json} (none when null) and returns the status, headers and JSON body. */
  public ResponseEntity<Map<String, Object>> call(
      HttpMethod method, String path, String token, String json) {
    WebClient.RequestBodySpec request =
        WebClient.create("http://127.0.0.1:" + port)
            .method(method)
            .uri(path)
            .header("Authorization", "Bearer " + token);
    WebClient.RequestHeadersSpec<?> spec =
        json == null ? request : request.contentType(MediaType.APPLICATION_JSON).bodyValue(json);
    // Generous: the first record of a new schema version waits for the registry to register it.
    return spec.exchangeToMono(r -> r.toEntity(JSON)).block(Duration.ofSeconds(30));
  }
}
