package io.herald.deploy;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * Measures POST-to-SSE latency against a running platform: the time from sending {@code POST
 * /api/notifications} (alice to bob, in-app) to bob's stream on the gateway receiving the item.
 * Requests go one at a time after a few warm-up requests that are not counted.
 *
 * <pre>./herald latency [requests] [warm-up]     defaults: 20 and 3</pre>
 */
final class LatencyBenchmark {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private LatencyBenchmark() {}

  static void run(Path home, String gateway, int requests, int warmUp) throws Exception {
    byte[] secret = Platform.jwtSecretOf(home);
    TokenIssuer tokens = new TokenIssuer(secret, Clock.systemUTC());
    String alice =
        tokens.issue(new HeraldPrincipal("acme", "alice", List.of()), Duration.ofHours(1));
    String bob = tokens.issue(new HeraldPrincipal("acme", "bob", List.of()), Duration.ofHours(1));
    HttpClient http = HttpClient.newHttpClient();

    Map<String, Long> arrivals = new ConcurrentHashMap<>();
    Map<String, CountDownLatch> waiting = new ConcurrentHashMap<>();
    InboxStream stream =
        InboxStream.open(
            http,
            gateway,
            bob,
            (item, arrivedNanos) -> {
              String id = item.get("notificationId").asString();
              arrivals.put(id, arrivedNanos);
              waiting.computeIfAbsent(id, k -> new CountDownLatch(1)).countDown();
            });
    if (!stream.awaitConnected(Duration.ofSeconds(10))) {
      throw new PlatformException("the SSE stream did not connect; is the platform running?");
    }
    List<Double> millis = new ArrayList<>();
    for (int i = 0; i < warmUp + requests; i++) {
      long start = System.nanoTime();
      HttpResponse<String> accepted =
          http.send(
              HttpRequest.newBuilder(URI.create(gateway + "/api/notifications"))
                  .header("Authorization", "Bearer " + alice)
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"recipients\":{\"userIds\":[\"bob\"]},\"channels\":[\"IN_APP\"],"
                              + "\"category\":\"benchmark\",\"title\":\"Latency probe "
                              + i
                              + "\",\"body\":\"probe\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (accepted.statusCode() != 202) {
        throw new PlatformException(
            "POST answered " + accepted.statusCode() + ": " + accepted.body());
      }
      String id = JSON.readTree(accepted.body()).get("requestId").asString();
      if (!waiting.computeIfAbsent(id, k -> new CountDownLatch(1)).await(30, TimeUnit.SECONDS)) {
        throw new PlatformException("request " + id + " did not reach the stream in 30 s");
      }
      double ms = (arrivals.get(id) - start) / 1_000_000.0;
      if (i >= warmUp) {
        millis.add(ms);
        System.out.printf("request %2d: %7.1f ms%n", i - warmUp + 1, ms);
      }
    }
    stream.close();
    List<Double> sorted = millis.stream().sorted().toList();
    double median =
        sorted.size() % 2 == 1
            ? sorted.get(sorted.size() / 2)
            : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
    System.out.printf(
        "POST-to-SSE over %d requests (after %d warm-up): median %.1f ms, best %.1f ms, worst %.1f ms%n",
        sorted.size(), warmUp, median, sorted.get(0), sorted.get(sorted.size() - 1));
  }
}
