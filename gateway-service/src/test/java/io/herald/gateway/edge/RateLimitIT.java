package io.herald.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.herald.support.testing.TestTokens;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.condition.EmbeddedKafkaCondition;
import org.springframework.kafka.test.context.EmbeddedKafka;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Per-tenant limits shared by two gateway instances: a tenant allowed 10 commands a minute gets 10
 * through the two together, then 429 with {@code Retry-After}; every answer says where it stands;
 * reads and other tenants are counted apart.
 */
@EmbeddedKafka(partitions = 1, topics = "notification.requests.v1")
class RateLimitIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String BODY =
      """
      {"recipients": {"userIds": ["bob"]}, "channels": ["IN_APP"],
       "category": "account", "title": "Welcome", "body": "Hello Bob"}
      """;

  private static final HttpClient client = HttpClient.newHttpClient();
  private static HttpServer notificationService;
  private static GatewayInstance first;
  private static GatewayInstance second;

  @BeforeAll
  static void start() throws IOException {
    notificationService = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    notificationService.createContext(
        "/api/notifications",
        exchange -> {
          byte[] page = "{\"items\":[]}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, page.length);
          exchange.getResponseBody().write(page);
          exchange.close();
        });
    notificationService.start();
    Map<String, String> settings =
        Map.of(
            "herald.gateway.notification-service-url",
            "http://127.0.0.1:" + notificationService.getAddress().getPort(),
            // Every request is written through to the shared buckets: the limit holds exactly.
            "herald.gateway.rate-limits.synchronization",
            "0s",
            "herald.gateway.rate-limits.tenants.limited.commands.limit",
            "10",
            // Refilled one request per 6 minutes: none comes back while the test runs.
            "herald.gateway.rate-limits.tenants.limited.commands.period",
            "1h",
            "herald.gateway.rate-limits.tenants.limited.reads.limit",
            "3",
            "herald.gateway.rate-limits.tenants.limited.reads.period",
            "1h");
    String brokers = EmbeddedKafkaCondition.getBroker().getBrokersAsString();
    first = GatewayInstance.start("limits-first", brokers, SECRET, settings);
    second = GatewayInstance.start("limits-second", brokers, SECRET, settings);
  }

  @AfterAll
  static void stop() {
    if (first != null) {
      first.close();
    }
    if (second != null) {
      second.close();
    }
    notificationService.stop(0);
  }

  @Test
  void shouldShareATenantsCommandLimitAcrossInstancesAndRefuseBeyondIt() throws Exception {
    String alice = TestTokens.issue(SECRET, "limited", "alice");
    List<HttpResponse<String>> answers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      answers.add(post(first, alice, null));
      answers.add(post(second, alice, null));
    }

    assertThat(answers).extracting(HttpResponse::statusCode).filteredOn(s -> s == 202).hasSize(10);
    List<HttpResponse<String>> refused =
        answers.stream().filter(answer -> answer.statusCode() == 429).toList();
    assertThat(refused).hasSize(2);
    for (HttpResponse<String> answer : answers) {
      assertThat(answer.headers().firstValue("RateLimit-Limit")).contains("10");
      assertThat(answer.headers().firstValue("RateLimit-Remaining")).isPresent();
      assertThat(answer.headers().firstValue("RateLimit-Reset")).isPresent();
    }
    assertThat(answers.get(9).headers().firstValue("RateLimit-Remaining")).contains("0");
    for (HttpResponse<String> answer : refused) {
      assertThat(answer.headers().firstValue("Content-Type")).contains("application/problem+json");
      JsonNode problem = JSON.readTree(answer.body());
      assertThat(problem.get("type").asString())
          .isEqualTo("https://herald.dev/problems/rate-limited");
      assertThat(problem.get("endpoints").asString()).isEqualTo("commands");
      assertThat(answer.headers().firstValue("Retry-After"))
          .hasValueSatisfying(seconds -> assertThat(Long.parseLong(seconds)).isBetween(1L, 360L));
      assertThat(answer.headers().firstValue("RateLimit-Remaining")).contains("0");
    }
  }

  @Test
  void shouldCountReadsAndOtherTenantsApart() throws Exception {
    String bob = TestTokens.issue(SECRET, "limited", "bob");
    List<Integer> reads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      reads.add(get(i % 2 == 0 ? first : second, bob).statusCode());
    }
    HttpResponse<String> otherTenant =
        post(first, TestTokens.issue(SECRET, "unlimited", "carol"), null);

    assertThat(reads).containsExactly(200, 200, 200, 429);
    assertThat(otherTenant.statusCode()).isEqualTo(202);
    assertThat(otherTenant.headers().firstValue("RateLimit-Limit")).contains("2000");
  }

  @Test
  void shouldNotTakeAnIdempotencyKeyForARefusedCommand() throws Exception {
    String dave = TestTokens.issue(SECRET, "tiny", "dave");
    GatewayInstance tiny =
        GatewayInstance.start(
            "limits-tiny",
            EmbeddedKafkaCondition.getBroker().getBrokersAsString(),
            SECRET,
            Map.of(
                "herald.gateway.rate-limits.synchronization", "0s",
                "herald.gateway.rate-limits.tenants.tiny.commands.limit", "1",
                "herald.gateway.rate-limits.tenants.tiny.commands.period", "15s"));
    try {
      assertThat(post(tiny, dave, null).statusCode()).isEqualTo(202);
      String key = "after-limit-" + UUID.randomUUID();
      HttpResponse<String> refused = post(tiny, dave, key);
      assertThat(refused.statusCode()).isEqualTo(429);
      long wait = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
      Thread.sleep(Duration.ofSeconds(wait).toMillis());
      HttpResponse<String> later = post(tiny, dave, key);
      assertThat(later.statusCode()).isEqualTo(202);
      assertThat(later.headers().firstValue("Idempotent-Replayed")).isEmpty();
    } finally {
      tiny.close();
    }
  }

  private static HttpResponse<String> post(GatewayInstance gateway, String token, String key)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(gateway.url() + "/api/notifications"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(GatewayInstance gateway, String token) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(gateway.url() + "/api/notifications"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
