package io.herald.gateway.notifications;

import io.herald.gateway.GatewayProperties;
import io.herald.gateway.commands.NoBroker;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.HeraldSecurityConfiguration;
import io.herald.support.security.TokenIssuer;
import io.herald.support.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webflux.test.autoconfigure.WebFluxTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The HTTP edge of the notification command alone: token checks, validation and problem documents.
 * Every request here is refused before anything is published, so the template behind the publisher
 * points at no broker.
 */
@WebFluxTest(
    controllers = NotificationCommandController.class,
    properties = "herald.security.jwt-secret=" + NotificationCommandWebTest.SECRET)
@ImportAutoConfiguration(HeraldSecurityConfiguration.class)
@EnableConfigurationProperties(GatewayProperties.class)
@Import(NoBroker.class)
class NotificationCommandWebTest {

  static final String SECRET = "slice-test-secret-slice-test-secret-0123";

  @Autowired WebTestClient http;

  @Test
  void shouldRefuseExpiredTokenWithBearerChallenge() {
    String expired =
        new TokenIssuer(
                SECRET.getBytes(StandardCharsets.UTF_8),
                Clock.offset(Clock.systemUTC(), Duration.ofHours(-2)))
            .issue(new HeraldPrincipal("acme", "alice", List.of()), Duration.ofHours(1));

    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + expired)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}")
        .exchange()
        .expectStatus()
        .isUnauthorized()
        .expectHeader()
        .valueMatches("WWW-Authenticate", "Bearer .*invalid_token.*")
        .expectBody()
        .jsonPath("$.detail")
        .isEqualTo("token has expired");
  }

  @Test
  void shouldListEveryBrokenRuleOfTheBody() {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            """
            {"recipients": {"userIds": ["bob"]}, "channels": ["EMAIL", "EMAIL", "SMS", "PUSH", "IN_APP"],
             "category": "account", "title": "%s", "body": "Hello"}
            """
                .formatted("t".repeat(201)))
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.errors[?(@.field == 'channels')].message")
        .isEqualTo("at most 4 channels")
        .jsonPath("$.errors[?(@.field == 'channels[2]')]")
        .exists()
        .jsonPath("$.errors[?(@.field == 'title')].message")
        .isEqualTo("title is at most 200 characters");
  }

  @Test
  void shouldRefuseNonJsonContent() {
    http.post()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token())
        .contentType(MediaType.TEXT_PLAIN)
        .bodyValue("hello")
        .exchange()
        .expectStatus()
        .isEqualTo(415)
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON);
  }

  private static String token() {
    return TestTokens.issue(SECRET, "acme", "alice");
  }
}
