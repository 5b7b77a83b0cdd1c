package io.herald.deploy;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * {@code POST /api/notifications} through the gateway of a running platform, with everything on
 * that a client meets: bearer tokens (16 tenants, so the per-tenant limit of 2,000 commands a
 * second is not what is measured), validation, an {@code Idempotency-Key} on every other request
 * (each new), and the rate limiter.
 *
 * <ul>
 *   <li>{@code ./herald bench http throughput [SECONDS] [RUNS] [CONNECTIONS]}: as many requests as
 *       64 connections (by default) get answered, back to back, for 30 s per run after a 30 s
 *       warm-up; reports accepted requests a second.
 *   <li>{@code ./herald bench http latency [RATE] [SECONDS] [RUNS]}: a steady rate (5,000/s by
 *       default), each request timed from when it was due, not when it went out (so a stalled
 *       server is not hidden by a stalled client); reports p50, p99 and the slowest.
 *   <li>{@code ./herald bench http floor [SECONDS] [RUNS] [CONNECTIONS]}: the throughput run
 *       against {@link HttpFloor}, a bare WebFlux endpoint in a JVM with the gateway's flags: the
 *       most the gateway's stack gives on the machine, with no platform running.
 * </ul>
 *
 * With {@code --pause-consumers} notification-service is stopped (SIGSTOP) while it runs, so that
 * the gateway and the broker have the cores, and resumed (SIGCONT) after.
 */
final class HttpBenchmark {

  private static final int TENANTS = 16;
  private static final String BODY =
      "{\"recipients\":{\"userIds\":[\"bench-user\"]},\"channels\":[\"IN_APP\"],"
          + "\"category\":\"bench\",\"title\":\"Hello\",\"body\":\"A benchmark notification\"}";

  private HttpBenchmark() {}

  static void run(Path home, String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
    boolean pause = rest.remove("--pause-consumers");
    String mode = rest.isEmpty() ? "throughput" : rest.get(0);
    String gateway = System.getenv().getOrDefault("HERALD_GATEWAY", "http://127.0.0.1:8080");
    Process floor = null;
    if (mode.equals("floor")) {
      // The same load against a bare WebFlux endpoint in a JVM with the gateway's tuned flags.
      int port = Ports.free().gateway();
      List<String> jvm = PlatformConfig.local(home).asTuned().jvmOptionsOf("gateway-service");
      List<String> command = new ArrayList<>();
      command.add(Platform.java());
      command.addAll(jvm);
      command.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              HttpFloor.class.getName(),
              Integer.toString(port)));
      floor = new ProcessBuilder(command).inheritIO().start();
      gateway = "http://127.0.0.1:" + port;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (Ports.isFree(port) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      System.out.println("floor: bare WebFlux endpoint at " + gateway + ", JVM " + jvm);
    }
    List<String> tokens = tokens(home);
    ConnectionProvider pool =
        ConnectionProvider.builder("bench").maxConnections(256).pendingAcquireMaxCount(-1).build();
    HttpClient client =
        HttpClient.create(pool)
            .runOn(LoopResources.create("bench", 1, true))
            .baseUrl(gateway)
            .keepAlive(true);
    List<Long> paused = pause ? signal("STOP", "notification-service") : List.of();
    try {
      switch (mode) {
        case "throughput", "floor" -> {
          int seconds = intArg(rest, 1, 30);
          int runs = intArg(rest, 2, 3);
          int connections = intArg(rest, 3, 64);
          System.out.printf("warm-up: %d connections for 30 s%n", connections);
          throughput(client, tokens, connections, Duration.ofSeconds(30));
          List<Double> rates = new ArrayList<>();
          for (int run = 1; run <= runs; run++) {
            Result result = throughput(client, tokens, connections, Duration.ofSeconds(seconds));
            rates.add(result.perSecond());
            System.out.printf(Locale.ROOT, "run %d: %s%n", run, result);
          }
          System.out.printf(Locale.ROOT, "median: %.0f accepted requests/s%n", median(rates));
        }
        case "latency" -> {
          int rate = intArg(rest, 1, 5_000);
          int seconds = intArg(rest, 2, 30);
          int runs = intArg(rest, 3, 3);
          System.out.printf("warm-up: %d/s for 30 s%n", rate);
          latency(client, tokens, rate, Duration.ofSeconds(30));
          List<Double> p99s = new ArrayList<>();
          for (int run = 1; run <= runs; run++) {
            Latencies result = latency(client, tokens, rate, Duration.ofSeconds(seconds));
            p99s.add(result.p99());
            System.out.printf(Locale.ROOT, "run %d: %s%n", run, result);
          }
          System.out.printf(Locale.ROOT, "median p99: %.1f ms%n", median(p99s));
        }
        default -> throw new IllegalArgumentException("bench http throughput|latency|floor");
      }
    } finally {
      if (floor != null) {
        floor.destroy();
      }
      if (!paused.isEmpty()) {
        signal("CONT", "notification-service");
      }
      pool.dispose();
    }
  }

  record Result(
      long accepted, long refused, long failed, Map<Integer, Long> others, double seconds) {
    double perSecond() {
      return accepted / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%.0f accepted/s (%d accepted, %d refused 429, %d failed, other statuses %s in %.1f s)",
          perSecond(),
          accepted,
          refused,
          failed,
          others,
          seconds);
    }
  }

  record Latencies(int sent, long accepted, long notAccepted, double p50, double p99, double max) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d sent, %d accepted, %d not; p50 %.1f ms, p99 %.1f ms, slowest %.1f ms",
          sent,
          accepted,
          notAccepted,
          p50,
          p99,
          max);
    }
  }

  private static Result throughput(
      HttpClient client, List<String> tokens, int connections, Duration length) {
    LongAdder accepted = new LongAdder();
    LongAdder refused = new LongAdder();
    LongAdder failed = new LongAdder();
    Map<Integer, Long> others = new ConcurrentHashMap<>();
    AtomicLong sequence = new AtomicLong();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    Flux.range(0, connections)
        .flatMap(
            worker ->
                Mono.defer(() -> send(client, tokens, sequence.incrementAndGet()))
                    .doOnNext(
                        status -> {
                          if (status == 202) {
                            accepted.increment();
                          } else if (status == 429) {
                            refused.increment();
                          } else {
                            others.merge(status, 1L, Long::sum);
                          }
                        })
                    .onErrorResume(
                        e -> {
                          failed.increment();
                          return Mono.empty();
                        })
                    .repeat(() -> System.nanoTime() < end)
                    .then(),
            connections)
        .blockLast();
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(accepted.sum(), refused.sum(), failed.sum(), others, seconds);
  }

  private static Latencies latency(
      HttpClient client, List<String> tokens, int rate, Duration length) {
    int count = (int) (rate * length.toSeconds());
    long[] nanos = new long[count];
    LongAdder accepted = new LongAdder();
    LongAdder notAccepted = new LongAdder();
    long start = System.nanoTime();
    long interval = 1_000_000_000L / rate;
    Flux.range(0, count)
        .flatMap(
            i -> {
              long due = start + i * interval;
              long wait = due - System.nanoTime();
              return Mono.delay(Duration.ofNanos(Math.max(0, wait)))
                  .then(send(client, tokens, i))
                  .doOnNext(
                      status -> {
                        nanos[i] = System.nanoTime() - due;
                        (status == 202 ? accepted : notAccepted).increment();
                      })
                  .onErrorResume(
                      e -> {
                        nanos[i] = System.nanoTime() - due;
                        notAccepted.increment();
                        return Mono.empty();
                      });
            },
            Math.max(256, rate))
        .blockLast();
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new Latencies(
        count,
        accepted.sum(),
        notAccepted.sum(),
        sorted[(int) (count * 0.50)] / 1e6,
        sorted[Math.min(count - 1, (int) Math.ceil(count * 0.99) - 1)] / 1e6,
        sorted[count - 1] / 1e6);
  }

  /** Every how many requests one carries an {@code Idempotency-Key} (0: none). */
  private static final int KEY_EVERY =
      Integer.parseInt(System.getenv().getOrDefault("HERALD_BENCH_KEY_EVERY", "2"));

  private static Mono<Integer> send(HttpClient client, List<String> tokens, long sequence) {
    String token = tokens.get((int) (sequence % tokens.size()));
    ByteBuf body = Unpooled.wrappedBuffer(BODY.getBytes(StandardCharsets.UTF_8));
    return client
        .headers(
            headers -> {
              headers.set("Authorization", "Bearer " + token);
              headers.set("Content-Type", "application/json");
              if (KEY_EVERY > 0 && sequence % KEY_EVERY == 0) {
                headers.set("Idempotency-Key", "bench-" + UUID.randomUUID());
              }
            })
        .post()
        .uri("/api/notifications")
        .send(Mono.just(body))
        .responseSingle((response, content) -> content.then(Mono.just(response.status().code())))
        .timeout(Duration.ofSeconds(30));
  }

  private static List<String> tokens(Path home) throws Exception {
    TokenIssuer issuer = new TokenIssuer(Platform.jwtSecretOf(home), Clock.systemUTC());
    List<String> tokens = new ArrayList<>();
    for (int t = 0; t < TENANTS; t++) {
      tokens.add(
          issuer.issue(
              new HeraldPrincipal("bench-http-" + t, "bench-sender", List.of("sender")),
              Duration.ofHours(2)));
    }
    return tokens;
  }

  /** Sends {@code kill -SIGNAL} to the platform's processes running {@code service}'s jar. */
  static List<Long> signal(String signal, String service) throws Exception {
    List<Long> pids =
        ProcessHandle.allProcesses()
            .filter(
                p ->
                    p.info()
                        .commandLine()
                        .map(line -> line.contains("/" + service + ".jar"))
                        .orElse(false))
            .map(ProcessHandle::pid)
            .toList();
    for (long pid : pids) {
      new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    }
    System.out.printf("%s %s %s%n", signal, service, pids);
    return pids;
  }

  private static int intArg(List<String> args, int index, int fallback) {
    return args.size() > index ? Integer.parseInt(args.get(index)) : fallback;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
