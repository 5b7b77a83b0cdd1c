package io.herald.gateway.notifications;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.support.testing.FreePorts;
import io.herald.support.testing.OpenApiDrift;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The gateway with no broker and no notification-service behind it: callers get a clear 503
 * problem, never a hanging request or a 202 for a command that was not stored.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayWithoutBackendsIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final int CLOSED_PORT = FreePorts.next();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("spring.kafka.bootstrap-servers", () -> "127.0.0.1:" + CLOSED_PORT);
    registry.add("spring.kafka.admin.fail-fast", () -> "false");
    registry.add("spring.kafka.admin.auto-create", () -> "false");
    registry.add(
        "herald.registry-url", () -> "http://127.0.0.1:" + CLOSED_PORT + "/apis/registry/v3");
    registry.add("herald.security.jwt-secret", () -> SECRET);
    registry.add(
        "herald.gateway.notification-service-url", () -> "http://127.0.0.1:" + CLOSED_PORT);
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

  @Test
  void shouldAnswerServiceUnavailableWhenTheBrokerDoesNotAcknowledge() {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            """
            {"recipients": {"userIds": ["bob"]}, "channels": ["IN_APP"],
             "category": "account", "title": "Welcome", "body": "Hello"}
            """)
        .exchange()
        .expectStatus()
        .isEqualTo(503)
        .expectHeader()
        .valueEquals("Retry-After", "5")
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/broker-unavailable")
        // The topic's metadata never came: the record never left the gateway.
        .jsonPath("$.accepted")
        .isEqualTo("no");
  }

  @Test
  void shouldAnswerServiceUnavailableWhenTheInboxOwnerIsDown() {
    http.get()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token())
        .exchange()
        .expectStatus()
        .isEqualTo(503)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/upstream-unavailable");
  }

  @Test
  void shouldRouteInboxMarksToTheInboxOwnerNotToTheSendCommand() {
    for (String path :
        new String[] {
          "/api/notifications/" + UUID.randomUUID() + "/read",
          "/api/notifications/read-all",
          "/api/notifications/seen"
        }) {
      http.post()
          .uri(path)
          .header("Authorization", "Bearer " + token())
          .exchange()
          .expectStatus()
          .isEqualTo(503)
          .expectBody()
          .jsonPath("$.type")
          .isEqualTo("https://herald.dev/problems/upstream-unavailable");
    }
    http.get()
        .uri("/api/notifications/counts")
        .header("Authorization", "Bearer " + token())
        .exchange()
        .expectStatus()
        .isEqualTo(503);
  }

  @Test
  void shouldAnswerEveryOtherErrorAsAProblemDocument() {
    http.get()
        .uri("/no-such-page")
        .exchange()
        .expectStatus()
        .isNotFound()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/not-found")
        .jsonPath("$.instance")
        .isEqualTo("/no-such-page");
    http.patch()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}")
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/method-not-allowed");
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token())
        .contentType(MediaType.TEXT_PLAIN)
        .bodyValue("hello")
        .exchange()
        .expectStatus()
        .isEqualTo(415)
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/unsupported-media-type");
  }

  @Test
  void shouldServeTheApiDocumentsAndTheContractsWithoutAToken() {
    http.get()
        .uri("/openapi/herald-api.yaml")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(String.class)
        .value(
            body -> org.assertj.core.api.Assertions.assertThat(body).startsWith("openapi: 3.1.0"));
    http.get()
        .uri("/asyncapi/asyncapi.yaml")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(String.class)
        .value(
            body -> org.assertj.core.api.Assertions.assertThat(body).startsWith("asyncapi: 3.0.0"));
    http.get()
        .uri("/asyncapi/src/main/avro/events/NotificationRequested.avsc")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(String.class)
        .value(
            body ->
                org.assertj.core.api.Assertions.assertThat(body)
                    .contains("\"NotificationRequested\""));
  }

  private static String token() {
    return TestTokens.issue(SECRET, "acme", "alice");
  }

  @Test
  void shouldHandleExactlyTheOperationsTheOpenApiDocumentGivesIt(
      @Autowired
          @org.springframework.beans.factory.annotation.Qualifier("requestMappingHandlerMapping")
          org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping
              mapping) {
    String routing = "io.herald.gateway.routing";
    assertThat(
            OpenApiDrift.differences(
                mapping, "gateway-service", OpenApiDrift.heraldHandlers(routing)))
        .isEmpty();
    assertThat(
            OpenApiDrift.unrouted(
                mapping,
                handler -> handler.getBeanType().getPackageName().equals(routing),
                java.util.List.of("notification-service", "publishing-service")))
        .as("operations of the services behind the gateway that it does not route")
        .isEmpty();
  }
}
