package io.herald.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Ten thousand malformed or hostile requests — bad JSON, wrong types, huge fields and bodies, bad
 * tokens, unknown fields, abused headers and keys, odd paths and methods — against a gateway with
 * its broker and registry: not one answer is a 5xx, and every refusal is a problem document.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(partitions = 1, topics = "notification.requests.v1")
class HostileRequestsIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int REQUESTS = 10_000;
  private static final String VALID =
      "{\"recipients\": {\"userIds\": [\"bob\"]}, \"channels\": [\"IN_APP\"],"
          + " \"category\": \"account\", \"title\": \"Hi\", \"body\": \"Hello\"}";

  private static HttpServer notificationService;
  private static HttpServer publishingService;

  /** Both services answer what they answer for a path they do not know: a 404 problem. */
  private static HttpServer upstream() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/",
          exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] problem =
                ("{\"type\":\"https://herald.dev/problems/not-found\",\"title\":\"Not Found\","
                        + "\"status\":404,\"detail\":\"nothing here\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
            exchange.sendResponseHeaders(404, problem.length);
            exchange.getResponseBody().write(problem);
            exchange.close();
          });
      server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
      server.start();
      return server;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stopUpstreams() {
    notificationService.stop(0);
    publishingService.stop(0);
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    notificationService = upstream();
    publishingService = upstream();
    registry.add(
        "herald.gateway.notification-service-url",
        () -> "http://127.0.0.1:" + notificationService.getAddress().getPort());
    registry.add(
        "herald.gateway.publishing-service-url",
        () -> "http://127.0.0.1:" + publishingService.getAddress().getPort());
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("herald.security.jwt-secret", () -> SECRET);
    registry.add("server.address", () -> "127.0.0.1");
    // Every request is a command of one of a few tenants: the limits would answer most of them.
    registry.add("herald.gateway.rate-limits.defaults.commands.limit", () -> "1000000");
    registry.add("herald.gateway.rate-limits.defaults.reads.limit", () -> "1000000");
  }

  @LocalServerPort int port;

  /** One kind of hostile request: a name, and how to build one from a random source. */
  record Attack(String name, Function<Random, HttpRequest> build) {}

  @Test
  void shouldAnswerEveryHostileRequestWithoutAServerErrorAndEveryRefusalAsAProblem()
      throws Exception {
    List<Attack> attacks = attacks();
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    Random random = new Random(20261206L);
    Semaphore inFlight = new Semaphore(32);
    Map<String, Map<Integer, Integer>> statuses = new ConcurrentHashMap<>();
    List<String> offences = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      Attack attack = attacks.get(i % attacks.size());
      HttpRequest request = attack.build().apply(random);
      inFlight.acquire();
      all.add(
          client
              .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
              .handle(
                  (response, error) -> {
                    inFlight.release();
                    if (error != null) {
                      // The server may close a connection on a request it will not read.
                      statuses
                          .computeIfAbsent(attack.name(), k -> new TreeMap<>())
                          .merge(-1, 1, Integer::sum);
                      return null;
                    }
                    statuses
                        .computeIfAbsent(attack.name(), k -> new ConcurrentHashMap<>())
                        .merge(response.statusCode(), 1, Integer::sum);
                    String offence = offence(response);
                    if (offence != null) {
                      offences.add(attack.name() + ": " + offence);
                    }
                    return null;
                  }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);

    System.out.println("Hostile requests, answers by kind and status: " + statuses);
    assertThat(offences).as("answers that are a 5xx or a refusal without a problem").isEmpty();
    long answered =
        statuses.values().stream()
            .flatMap(byStatus -> byStatus.entrySet().stream())
            .filter(entry -> entry.getKey() > 0)
            .mapToLong(Map.Entry::getValue)
            .sum();
    assertThat(answered).as("requests answered with a status").isGreaterThan(REQUESTS * 9L / 10);
    assertThat(statuses.get("valid control").keySet()).containsOnly(202);
    assertThat(statuses.get("control characters").keySet()).containsOnly(400);
  }

  private static String offence(HttpResponse<byte[]> response) {
    int status = response.statusCode();
    if (status >= 500) {
      return status + " " + new String(response.body(), StandardCharsets.UTF_8);
    }
    if (status < 400) {
      return null;
    }
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (!type.startsWith("application/problem+json")) {
      return status + " with Content-Type '" + type + "'";
    }
    try {
      JsonNode problem = JSON.readTree(response.body());
      if (!problem.path("type").asString("").startsWith("https://herald.dev/problems/")
          || problem.path("status").asInt() != status) {
        return status + " problem without a Herald type: " + problem;
      }
    } catch (Exception e) {
      return status + " problem that is not JSON";
    }
    return null;
  }

  private List<Attack> attacks() {
    String base = "http://127.0.0.1:" + port;
    List<String> tokens = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      tokens.add(TestTokens.issue(SECRET, "tenant-" + t, "user-" + t));
    }
    Function<Random, String> token = r -> tokens.get(r.nextInt(tokens.size()));
    List<Attack> attacks = new ArrayList<>();
    attacks.add(new Attack("valid control", r -> post(base, token.apply(r), VALID, Map.of())));
    attacks.add(
        new Attack(
            "truncated JSON",
            r ->
                post(
                    base,
                    token.apply(r),
                    VALID.substring(0, 1 + r.nextInt(VALID.length() - 2)),
                    Map.of())));
    attacks.add(
        new Attack("not JSON", r -> post(base, token.apply(r), randomText(r, 200), Map.of())));
    attacks.add(new Attack("empty body", r -> post(base, token.apply(r), "", Map.of())));
    attacks.add(new Attack("JSON null", r -> post(base, token.apply(r), "null", Map.of())));
    attacks.add(new Attack("JSON array", r -> post(base, token.apply(r), "[1,2,3]", Map.of())));
    attacks.add(
        new Attack(
            "deep nesting",
            r -> post(base, token.apply(r), "[".repeat(5_000) + "]".repeat(5_000), Map.of())));
    attacks.add(
        new Attack(
            "wrong types",
            r ->
                post(
                    base,
                    token.apply(r),
                    "{\"recipients\": \"bob\", \"channels\": 7, \"category\": [], \"title\": {},"
                        + " \"body\": true, \"data\": [1]}",
                    Map.of())));
    attacks.add(
        new Attack(
            "huge number",
            r ->
                post(
                    base,
                    token.apply(r),
                    VALID.replace("\"Hi\"", "1" + "0".repeat(5_000)),
                    Map.of())));
    attacks.add(
        new Attack(
            "unknown fields",
            r ->
                post(
                    base,
                    token.apply(r),
                    VALID.replace(
                        "{\"recipients\"",
                        "{\"admin\": true, \"tenantId\": \"other\", \"recipients\""),
                    Map.of())));
    attacks.add(
        new Attack(
            "huge field",
            r ->
                post(base, token.apply(r), VALID.replace("Hello", "x".repeat(200_000)), Map.of())));
    attacks.add(
        new Attack(
            "huge body",
            r ->
                post(
                    base,
                    token.apply(r),
                    VALID.replace("Hello", "x".repeat(3_000_000)),
                    Map.of())));
    attacks.add(
        new Attack(
            "too many recipients",
            r -> {
              StringBuilder users = new StringBuilder("\"u0\"");
              for (int i = 1; i < 5_000; i++) {
                users.append(",\"u").append(i).append('"');
              }
              return post(
                  base, token.apply(r), VALID.replace("\"bob\"", users.toString()), Map.of());
            }));
    attacks.add(
        new Attack(
            "control characters",
            r ->
                post(
                    base,
                    token.apply(r),
                    VALID.replace("Hello", "\\u0000\\u0007\\ud800"),
                    Map.of())));
    attacks.add(new Attack("no token", r -> post(base, null, VALID, Map.of())));
    attacks.add(new Attack("garbage token", r -> post(base, randomToken(r), VALID, Map.of())));
    attacks.add(
        new Attack(
            "alg none",
            r ->
                post(
                    base,
                    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFjbWUiLCJpc3MiOiJoZXJhbGQifQ.",
                    VALID,
                    Map.of())));
    attacks.add(
        new Attack(
            "tampered token",
            r -> {
              String good = token.apply(r);
              return post(base, good.substring(0, good.length() - 3) + "abc", VALID, Map.of());
            }));
    attacks.add(
        new Attack(
            "long token", r -> post(base, "x".repeat(6_000 + r.nextInt(2_000)), VALID, Map.of())));
    attacks.add(
        new Attack(
            "bad idempotency keys",
            r -> {
              String[] keys = {"k".repeat(256), "a b", "{}[]<>\"\\", "%ff%fe", " padded "};
              return post(
                  base,
                  token.apply(r),
                  VALID,
                  Map.of("Idempotency-Key", keys[r.nextInt(keys.length)]));
            }));
    attacks.add(
        new Attack(
            "reused idempotency key",
            r ->
                post(
                    base,
                    token.apply(r),
                    VALID.replace("Hello", "Hello " + r.nextInt(1_000)),
                    Map.of("Idempotency-Key", "hostile-reused-key"))));
    attacks.add(
        new Attack(
            "wrong content type",
            r ->
                HttpRequest.newBuilder(URI.create(base + "/api/notifications"))
                    .header("Authorization", "Bearer " + token.apply(r))
                    .header(
                        "Content-Type",
                        r.nextBoolean() ? "text/xml" : "application/json; charset=utf-7")
                    .POST(HttpRequest.BodyPublishers.ofString("<a/>"))
                    .build()));
    attacks.add(
        new Attack(
            "many headers",
            r -> {
              HttpRequest.Builder request =
                  HttpRequest.newBuilder(URI.create(base + "/api/notifications"))
                      .header("Authorization", "Bearer " + token.apply(r))
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(VALID));
              for (int i = 0; i < 60; i++) {
                request.header("X-Noise-" + i, "v".repeat(40));
              }
              return request.build();
            }));
    attacks.add(
        new Attack(
            "odd paths",
            r -> {
              String[] paths = {
                "/api/notifications/..%2F..%2Fetc%2Fpasswd",
                "/api/%00",
                "/api/notifications/requests/" + "x".repeat(2_000),
                "/api/admin/dead-letters/..%2Fnotification.requests.v1",
                "/api//notifications",
                "/api/posts/%25ZZ%252"
              };
              return HttpRequest.newBuilder(URI.create(base + paths[r.nextInt(paths.length)]))
                  .header("Authorization", "Bearer " + token.apply(r))
                  .GET()
                  .build();
            }));
    attacks.add(
        new Attack(
            "odd methods",
            r -> {
              String[] methods = {"PATCH", "DELETE", "PUT", "OPTIONS", "TRACE"};
              return HttpRequest.newBuilder(URI.create(base + "/api/notifications"))
                  .header("Authorization", "Bearer " + token.apply(r))
                  .header("Content-Type", "application/json")
                  .method(
                      methods[r.nextInt(methods.length)],
                      HttpRequest.BodyPublishers.ofString(VALID))
                  .build();
            }));
    attacks.add(
        new Attack(
            "bad query values",
            r ->
                HttpRequest.newBuilder(
                        URI.create(
                            base
                                + "/api/admin/dead-letters/notification.email.v1-dlt?limit=-5&from=yesterday"))
                    .header(
                        "Authorization",
                        "Bearer " + TestTokens.issue(SECRET, "tenant-0", "olga", "operator"))
                    .GET()
                    .build()));
    return attacks;
  }

  private static HttpRequest post(
      String base, String token, String body, Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/api/notifications"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    headers.forEach(request::header);
    return request.build();
  }

  private static String randomText(Random r, int length) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < length; i++) {
      text.append((char) (0x21 + r.nextInt(0x5d)));
    }
    return text.toString();
  }

  private static String randomToken(Random r) {
    return randomText(r, 20).replace('.', '_') + "." + randomText(r, 40).replace('.', '_') + ".sig";
  }
}
