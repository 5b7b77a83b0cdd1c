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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP edge as a client of two gateway processes sees it, the two sharing the platform's
 * database as the instances of one deployment do (started once for both groups of tests):
 *
 * <ul>
 *   <li>the {@code Idempotency-Key} guarantee: a retry replays the first answer and sends nothing
 *       more, another body is refused, a retry during the first request is told to wait, and a
 *       restarted gateway still knows the keys;
 *   <li>rate limits: a tenant's limit is shared by the instances, exactly that many requests get
 *       through the two together, then 429 with {@code Retry-After}; every answer says where it
 *       stands; reads and other tenants are counted apart.
 * </ul>
 */
class EdgeIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String BODY =
      """
      {"recipients": {"userIds": ["bob"]}, "channels": ["IN_APP"],
       "category": "account", "title": "Welcome", "body": "Hello Bob"}
      """;

  private static final HttpClient client = HttpClient.newHttpClient();
  private static HttpServer notificationService;
  private static final AtomicInteger subscriberWrites = new AtomicInteger();
  private static final AtomicInteger preferenceWrites = new AtomicInteger();
  private static volatile CountDownLatch preferenceWriteArrived = new CountDownLatch(1);
  private static volatile CountDownLatch releasePreferenceWrite = new CountDownLatch(0);
  // The broker of the whole class (not @EmbeddedKafka, which would stop it after the first nested
  // group while the gateways still use it).
  private static EmbeddedKafkaBroker broker;
  private static Map<String, String> gatewaySettings;
  private static GatewayInstance first;
  private static GatewayInstance second;

  @BeforeAll
  static void start() throws IOException {
    broker = new EmbeddedKafkaKraftBroker(1, 1, "notification.requests.v1");
    broker.afterPropertiesSet();
    notificationService = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    notificationService.createContext(
        "/api/preferences",
        exchange -> {
          preferenceWrites.incrementAndGet();
          byte[] request = exchange.getRequestBody().readAllBytes();
          preferenceWriteArrived.countDown();
          try {
            releasePreferenceWrite.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, request.length);
          exchange.getResponseBody().write(request);
          exchange.close();
        });
    notificationService.createContext(
        "/api/subscribers",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          // Unavailable at the first call, then created.
          if (subscriberWrites.incrementAndGet() % 2 == 1) {
            exchange.sendResponseHeaders(503, -1);
          } else {
            exchange.getResponseHeaders().set("Location", "/api/subscribers/dave");
            exchange.sendResponseHeaders(201, -1);
          }
          exchange.close();
        });
    notificationService.createContext(
        "/api/notifications",
        exchange -> {
          byte[] page = "{\"items\":[]}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, page.length);
          exchange.getResponseBody().write(page);
          exchange.close();
        });
    notificationService.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
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
            // Refilled one request per 6 minutes: none comes back while the tests run.
            "herald.gateway.rate-limits.tenants.limited.commands.period",
            "1h",
            "herald.gateway.rate-limits.tenants.limited.reads.limit",
            "3",
            "herald.gateway.rate-limits.tenants.limited.reads.period",
            "1h",
            // One command per 8 s: a refused one is let through again within the test.
            "herald.gateway.rate-limits.tenants.tiny.commands.limit",
            "1",
            "herald.gateway.rate-limits.tenants.tiny.commands.period",
            "8s");
    gatewaySettings = settings;
    first = GatewayInstance.start("first", brokers(), SECRET, settings);
    second = GatewayInstance.start("second", brokers(), SECRET, settings);
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
    broker.destroy();
  }

  /** The {@code Idempotency-Key} guarantee. */
  @Nested
  class IdempotencyKeys {

    @Test
    void shouldReplayTheFirstAnswerFromAnyInstanceAndSendOnlyOnce() throws Exception {
      String key = "order-" + UUID.randomUUID();
      String alice = TestTokens.issue(SECRET, "acme", "alice");

      HttpResponse<String> accepted = post(first, alice, key);
      HttpResponse<String> retried = post(second, alice, key);
      HttpResponse<String> again = post(first, alice, key);

      assertThat(accepted.statusCode()).isEqualTo(202);
      assertThat(accepted.headers().firstValue("Idempotent-Replayed")).isEmpty();
      for (HttpResponse<String> replay : List.of(retried, again)) {
        assertThat(replay.statusCode()).isEqualTo(202);
        assertThat(replay.body()).isEqualTo(accepted.body());
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(replay.headers().firstValue("Content-Type"))
            .isEqualTo(accepted.headers().firstValue("Content-Type"));
      }
      String requestId = JSON.readTree(accepted.body()).get("requestId").asString();
      // A marker request sent after the retries: once it is on the topic, so would be any retry.
      HttpResponse<String> marker = post(first, alice, null);
      String markerId = JSON.readTree(marker.body()).get("requestId").asString();
      List<String> keys = keysOnTopicUntil(markerId);
      assertThat(keys).filteredOn(requestId::equals).hasSize(1);
    }

    @Test
    void shouldRunAKeyOnceWhenItsRetriesArriveTogetherAmongOtherKeys() throws Exception {
      String alice = TestTokens.issue(SECRET, "acme", "alice");
      String shared = "burst-" + UUID.randomUUID();
      List<CompletableFuture<HttpResponse<String>>> sameKey = new ArrayList<>();
      List<CompletableFuture<HttpResponse<String>>> ownKeys = new ArrayList<>();
      // Claims that arrive together are written together: the copies of one key among other keys.
      for (int i = 0; i < 40; i++) {
        GatewayInstance gateway = i % 2 == 0 ? first : second;
        sameKey.add(sendAsync(gateway, "POST", "/api/notifications", alice, shared, BODY));
        ownKeys.add(
            sendAsync(
                gateway, "POST", "/api/notifications", alice, "own-" + UUID.randomUUID(), BODY));
      }

      Set<String> requestIds = new HashSet<>();
      int firstAnswers = 0;
      for (CompletableFuture<HttpResponse<String>> answer : sameKey) {
        HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isIn(202, 409);
        if (response.statusCode() == 202) {
          requestIds.add(JSON.readTree(response.body()).get("requestId").asString());
          if (response.headers().firstValue("Idempotent-Replayed").isEmpty()) {
            firstAnswers++;
          }
        }
      }
      assertThat(firstAnswers).isEqualTo(1);
      assertThat(requestIds).hasSize(1);
      List<String> others = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> answer : ownKeys) {
        HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        others.add(JSON.readTree(response.body()).get("requestId").asString());
      }
      assertThat(Set.copyOf(others)).hasSize(40);
      HttpResponse<String> marker = post(first, alice, null);
      List<String> keys =
          keysOnTopicUntil(JSON.readTree(marker.body()).get("requestId").asString());
      assertThat(keys).filteredOn(requestIds::contains).hasSize(1);
      for (String other : others) {
        assertThat(keys).filteredOn(other::equals).hasSize(1);
      }
    }

    @Test
    void shouldScopeKeysByTenantAndUser() throws Exception {
      String key = "shared-" + UUID.randomUUID();
      HttpResponse<String> alice = post(first, TestTokens.issue(SECRET, "acme", "alice"), key);
      HttpResponse<String> bob = post(first, TestTokens.issue(SECRET, "acme", "bob"), key);
      HttpResponse<String> otherTenant =
          post(first, TestTokens.issue(SECRET, "globex", "alice"), key);

      for (HttpResponse<String> answer : List.of(alice, bob, otherTenant)) {
        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(answer.headers().firstValue("Idempotent-Replayed")).isEmpty();
      }
      assertThat(List.of(alice.body(), bob.body(), otherTenant.body())).doesNotHaveDuplicates();
    }

    @Test
    void shouldRefuseTheSameKeyWithAnotherBody() throws Exception {
      String key = "order-" + UUID.randomUUID();
      String alice = TestTokens.issue(SECRET, "acme", "alice");
      assertThat(post(first, alice, key).statusCode()).isEqualTo(202);

      HttpResponse<String> refused =
          send(second, "POST", "/api/notifications", alice, key, BODY.replace("Hello", "Bye"));

      assertThat(refused.statusCode()).isEqualTo(422);
      assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
      JsonNode problem = JSON.readTree(refused.body());
      assertThat(problem.get("type").asString())
          .isEqualTo("https://herald.dev/problems/idempotency-key-reused");
      assertThat(problem.get("status").asInt()).isEqualTo(422);
    }

    @Test
    void shouldAnswerConflictWithRetryAfterWhileTheFirstRequestIsInFlight() throws Exception {
      String key = "prefs-" + UUID.randomUUID();
      String alice = TestTokens.issue(SECRET, "acme", "alice");
      String body = "{\"channels\": {\"EMAIL\": false}}";
      preferenceWriteArrived = new CountDownLatch(1);
      releasePreferenceWrite = new CountDownLatch(1);
      int writesBefore = preferenceWrites.get();

      CompletableFuture<HttpResponse<String>> firstWrite =
          sendAsync(first, "PUT", "/api/preferences/me", alice, key, body);
      assertThat(preferenceWriteArrived.await(20, TimeUnit.SECONDS))
          .as("the first write reached notification-service")
          .isTrue();
      HttpResponse<String> during = send(second, "PUT", "/api/preferences/me", alice, key, body);
      releasePreferenceWrite.countDown();
      HttpResponse<String> firstAnswer = firstWrite.get(20, TimeUnit.SECONDS);
      HttpResponse<String> after = send(second, "PUT", "/api/preferences/me", alice, key, body);

      assertThat(during.statusCode()).isEqualTo(409);
      assertThat(during.headers().firstValue("Retry-After"))
          .hasValueSatisfying(seconds -> assertThat(Integer.parseInt(seconds)).isBetween(1, 30));
      assertThat(JSON.readTree(during.body()).get("type").asString())
          .isEqualTo("https://herald.dev/problems/idempotency-key-in-use");
      assertThat(firstAnswer.statusCode()).isEqualTo(200);
      assertThat(after.statusCode()).isEqualTo(200);
      assertThat(after.body()).isEqualTo(firstAnswer.body()).isEqualTo(body);
      assertThat(after.headers().firstValue("Idempotent-Replayed")).contains("true");
      assertThat(preferenceWrites.get() - writesBefore)
          .as("writes that reached notification-service")
          .isEqualTo(1);
    }

    @Test
    void shouldKeepKeysAcrossAGatewayKilledAndStartedAgain() throws Exception {
      String key = "order-" + UUID.randomUUID();
      String alice = TestTokens.issue(SECRET, "acme", "alice");
      HttpResponse<String> accepted = post(first, alice, key);
      assertThat(accepted.statusCode()).isEqualTo(202);

      first.kill();
      first = GatewayInstance.start("first-restarted", brokers(), SECRET, gatewaySettings);
      HttpResponse<String> afterRestart = post(first, alice, key);

      assertThat(afterRestart.statusCode()).isEqualTo(202);
      assertThat(afterRestart.body()).isEqualTo(accepted.body());
      assertThat(afterRestart.headers().firstValue("Idempotent-Replayed")).contains("true");
    }

    @Test
    void shouldLetARetryRunAgainAfterAnAnswerThatIsNotFinal() throws Exception {
      String key = "subscriber-" + UUID.randomUUID();
      String carol = TestTokens.issue(SECRET, "acme", "carol");
      String body = "{\"userId\": \"dave\"}";
      int callsBefore = subscriberWrites.get();

      HttpResponse<String> badKey = send(first, "POST", "/api/subscribers", carol, "bad key", body);
      HttpResponse<String> unavailable = send(first, "POST", "/api/subscribers", carol, key, body);
      HttpResponse<String> retried = send(second, "POST", "/api/subscribers", carol, key, body);
      HttpResponse<String> replayed = send(first, "POST", "/api/subscribers", carol, key, body);

      assertThat(badKey.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(badKey.body()).get("type").asString())
          .isEqualTo("https://herald.dev/problems/invalid-idempotency-key");
      assertThat(unavailable.statusCode()).isEqualTo(503);
      assertThat(retried.statusCode()).isEqualTo(201);
      assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();
      assertThat(replayed.statusCode()).isEqualTo(201);
      assertThat(replayed.headers().firstValue("Idempotent-Replayed")).contains("true");
      assertThat(replayed.headers().firstValue("Location"))
          .contains("/api/subscribers/dave")
          .isEqualTo(retried.headers().firstValue("Location"));
      assertThat(subscriberWrites.get() - callsBefore)
          .as("writes that reached notification-service: the failed one and its retry")
          .isEqualTo(2);
    }
  }

  /** Per-tenant rate limits shared by the instances. */
  @Nested
  class RateLimits {

    @Test
    void shouldShareATenantsCommandLimitAcrossInstancesAndRefuseBeyondIt() throws Exception {
      String alice = TestTokens.issue(SECRET, "limited", "alice");
      List<HttpResponse<String>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        answers.add(post(first, alice, null));
        answers.add(post(second, alice, null));
      }

      assertThat(answers)
          .extracting(HttpResponse::statusCode)
          .filteredOn(s -> s == 202)
          .hasSize(10);
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
        assertThat(answer.headers().firstValue("Content-Type"))
            .contains("application/problem+json");
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
      assertThat(post(first, dave, null).statusCode()).isEqualTo(202);
      String key = "after-limit-" + UUID.randomUUID();
      HttpResponse<String> refused = post(second, dave, key);
      assertThat(refused.statusCode()).isEqualTo(429);
      long wait = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
      Thread.sleep(Duration.ofSeconds(wait).toMillis());
      HttpResponse<String> later = post(first, dave, key);
      assertThat(later.statusCode()).isEqualTo(202);
      assertThat(later.headers().firstValue("Idempotent-Replayed")).isEmpty();
    }
  }

  private static HttpResponse<String> send(
      GatewayInstance gateway, String method, String path, String token, String key, String body)
      throws Exception {
    return sendAsync(gateway, method, path, token, key, body).get(30, TimeUnit.SECONDS);
  }

  private static CompletableFuture<HttpResponse<String>> sendAsync(
      GatewayInstance gateway, String method, String path, String token, String key, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(gateway.url() + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String brokers() {
    return broker.getBrokersAsString();
  }

  /** The keys of notification.requests.v1 from the start up to and including {@code last}. */
  private static List<String> keysOnTopicUntil(String last) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                brokers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "idempotency-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("notification.requests.v1"));
      List<String> keys = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!keys.contains(last) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          keys.add(record.key());
        }
      }
      assertThat(keys).as("records up to the marker").contains(last);
      return keys;
    }
  }

  /** {@code POST /api/notifications} with the usual body; {@code key} may be null. */
  private static HttpResponse<String> post(GatewayInstance gateway, String token, String key)
      throws Exception {
    return send(gateway, "POST", "/api/notifications", token, key, BODY);
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
