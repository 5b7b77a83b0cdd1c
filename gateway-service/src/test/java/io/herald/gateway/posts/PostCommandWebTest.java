package io.herald.gateway.posts;

import io.herald.gateway.GatewayProperties;
import io.herald.gateway.commands.NoBroker;
import io.herald.gateway.routing.Upstream;
import io.herald.support.security.HeraldSecurityConfiguration;
import io.herald.support.testing.TestTokens;
import io.herald.support.web.HeraldWebConfiguration;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webflux.test.autoconfigure.WebFluxTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The post commands' checks that need neither publishing-service nor the broker: roles, brands,
 * validation and problem documents. publishing-service and the broker behind the slice point at
 * closed ports, so a check that let a command through would fail the test with a 503.
 */
@WebFluxTest(
    controllers = PostCommandController.class,
    properties = "herald.security.jwt-secret=" + PostCommandWebTest.SECRET)
@ImportAutoConfiguration({HeraldSecurityConfiguration.class, HeraldWebConfiguration.class})
@EnableConfigurationProperties(GatewayProperties.class)
@Import(NoBroker.class)
class PostCommandWebTest {

  static final String SECRET = "slice-test-secret-slice-test-secret-0123";
  private static final String VALID =
      "{\"brandId\":\"shoes\",\"text\":\"Sale\",\"platforms\":[\"X\"]}";

  @Autowired WebTestClient http;

  @TestConfiguration
  static class NoPublishingService {
    @Bean
    PostLookup lookup() {
      return new PostLookup(
          new Upstream(
              "publishing-service", WebClient.builder(), URI.create("http://127.0.0.1:1")));
    }
  }

  @Test
  void shouldRefuseToCreateWithoutTheAuthorRole() {
    post("/api/posts", token(List.of("approver"), List.of("shoes")), VALID)
        .expectStatus()
        .isForbidden()
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/forbidden")
        .jsonPath("$.detail")
        .isEqualTo("to create posts you need one of the roles author, admin");
  }

  @Test
  void shouldRefuseToCreateForABrandTheTokenDoesNotName() {
    post("/api/posts", token(List.of("author"), List.of("hats")), VALID)
        .expectStatus()
        .isForbidden()
        .expectBody()
        .jsonPath("$.detail")
        .isEqualTo("your token does not let you act for brand shoes");
  }

  @Test
  void shouldNameEveryBrokenRuleOfAPost() {
    post(
            "/api/posts",
            token(List.of("author"), List.of("*")),
            "{\"brandId\":\"shoes\",\"text\":\" \",\"platforms\":[\"MYSPACE\"],"
                + "\"mediaUrls\":[\"http://cdn.example/a.png\"]}")
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/validation-failed")
        .jsonPath("$.errors[?(@.field == 'text')].message")
        .isEqualTo("text is required")
        .jsonPath("$.errors[?(@.field == 'platforms[0]')].message")
        .isEqualTo("unknown platform; use X, LINKEDIN or FACEBOOK")
        .jsonPath("$.errors[?(@.field == 'mediaUrls[0]')].message")
        .isEqualTo("media URLs must be https URLs");
  }

  @Test
  void shouldRequireAReasonToReject() {
    post("/api/posts/p-1/reject", token(List.of("approver"), List.of("*")), "{}")
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.errors[0].message")
        .isEqualTo("reason is required");
    post(
            "/api/posts/approvals",
            token(List.of("approver"), List.of("*")),
            "{\"decisions\":[{\"postId\":\"p-1\",\"decision\":\"reject\"}]}")
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.errors[0].message")
        .isEqualTo("a rejection needs a reason");
  }

  @Test
  void shouldRefuseReviewsWithoutTheApproverRole() {
    post("/api/posts/p-1/approve", token(List.of("author"), List.of("*")), "{}")
        .expectStatus()
        .isForbidden();
  }

  @Test
  void shouldAnswer503WhenThePostCannotBeChecked() {
    post("/api/posts/p-1/submit", token(List.of("author"), List.of("*")), null)
        .expectStatus()
        .isEqualTo(503)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://herald.dev/problems/upstream-unavailable");
  }

  private WebTestClient.ResponseSpec post(String path, String token, String json) {
    WebTestClient.RequestBodySpec request =
        http.post().uri(path).header("Authorization", "Bearer " + token);
    return (json == null
            ? request
            : request.contentType(MediaType.APPLICATION_JSON).bodyValue(json))
        .exchange();
  }

  private static String token(List<String> roles, List<String> brands) {
    return TestTokens.issue(SECRET, "acme", "alice", roles, brands);
  }
}
