package io.herald.deploy;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The local launcher behind {@code ./herald}.
 *
 * <pre>
 * ./herald run                      start the platform; Ctrl-C stops it
 * ./herald run --tuned              the same with production JVM settings (for load tests)
 * ./herald token bob                a token for demo user bob of tenant acme (8 hours)
 * ./herald token dave --tenant globex --roles admin
 * ./herald token alice --roles author --brands shoes   a token for posts of brand shoes
 * ./herald latency 20               POST-to-SSE latency of the running platform
 * ./herald bench pipeline 1000000   notification-service throughput, N single-recipient requests
 * ./herald bench fanout 100000      one request to a role of N users on three channels
 * ./herald bench scheduled 100000   N notifications held for the same second, then sent together
 * ./herald bench digest 100000      a daily digest run: N users with 10 items each, due together
 * ./herald bench worker push 100000 deliveries/s of one channel worker, simulator answering in 20 ms
 * ./herald bench outage             1,000 push deliveries/s while FCM is down for 60 s
 * ./herald bench publishing 20000   publishing jobs/s, X simulator answering in 50 ms
 * ./herald bench publishing-scheduled 10000   jobs due in one second, two publishing instances
 * ./herald bench inbox 10000000     inbox page and counts latency, N items over 10,000 users
 * ./herald bench http throughput    accepted POST /api/notifications a second through the gateway
 * ./herald bench http latency 5000  p99 of POST /api/notifications at a steady 5,000/s
 * ./herald whatsapp-statuses        play Meta: signed delivered and read webhooks for sent messages
 * </pre>
 *
 * State lives in {@code .herald/} (or {@code HERALD_HOME}).
 */
public final class HeraldLocal {

  private HeraldLocal() {}

  public static void main(String[] args) {
    String command = args.length == 0 ? "run" : args[0];
    Path home = Path.of(System.getenv().getOrDefault("HERALD_HOME", ".herald"));
    try {
      switch (command) {
        case "run" -> run(home, tuned(Arrays.copyOfRange(args, 1, args.length)));
        case "token" -> System.out.println(token(home, Arrays.copyOfRange(args, 1, args.length)));
        case "latency" ->
            LatencyBenchmark.run(
                home,
                System.getenv().getOrDefault("HERALD_GATEWAY", "http://127.0.0.1:8080"),
                args.length > 1 ? Integer.parseInt(args[1]) : 20,
                args.length > 2 ? Integer.parseInt(args[2]) : 3);
        case "bench" -> {
          String[] rest = Arrays.copyOfRange(args, 1, args.length);
          if (rest.length > 0 && (rest[0].equals("worker") || rest[0].equals("outage"))) {
            WorkerBenchmark.run(home, rest);
          } else if (rest.length > 0 && rest[0].equals("http")) {
            HttpBenchmark.run(home, rest);
          } else if (rest.length > 0 && rest[0].equals("sse")) {
            SseBenchmark.run(home, rest);
          } else if (rest.length > 0 && rest[0].equals("inbox")) {
            InboxBenchmark.run(home, rest);
          } else if (rest.length > 0 && rest[0].startsWith("publishing")) {
            PublishingBenchmark.run(home, rest);
          } else {
            ThroughputBenchmark.run(rest);
          }
        }
        case "whatsapp-statuses" ->
            whatsAppStatuses(home, Arrays.copyOfRange(args, 1, args.length));
        default -> {
          System.err.println(
              "usage: ./herald [run [--tuned] | token USER [--tenant T] [--roles a,b] [--brands x,y] | latency [N] [WARMUP]"
                  + " | bench pipeline|fanout|scheduled|digest [N] [RUNS] | bench worker email|whatsapp|push [N] [RUNS]"
                  + " | bench publishing|publishing-scheduled [N] [RUNS] | bench inbox [ITEMS] [SAMPLES]"
                  + " | bench sse [CONNECTIONS] [RATE] [SECONDS] [RUNS] [WARMUP]"
                  + " | bench http throughput [SECONDS] [RUNS] [CONNECTIONS] | bench http latency [RATE] [SECONDS] [RUNS]"
                  + " | whatsapp-statuses [delivered read ...]]");
          System.exit(2);
        }
      }
    } catch (PlatformException | IllegalArgumentException e) {
      System.err.println("[herald] " + e.getMessage());
      System.exit(1);
    } catch (Exception e) {
      System.err.println("[herald] " + e);
      System.exit(1);
    }
  }

  /** {@code --tuned}, or {@code HERALD_TUNED=true} in the environment. */
  private static boolean tuned(String[] args) {
    for (String arg : args) {
      if (!arg.equals("--tuned")) {
        throw new IllegalArgumentException("unknown option of run: " + arg + " (--tuned)");
      }
    }
    return args.length > 0 || "true".equalsIgnoreCase(System.getenv("HERALD_TUNED"));
  }

  private static void run(Path home, boolean tuned) throws PlatformException {
    Instant begin = Instant.now();
    PlatformConfig config = PlatformConfig.local(home);
    if (tuned) {
      Platform.log("Tuned: every service with the optimising compiler and its whole heap");
      config = config.asTuned();
    }
    config =
        config
            .withTraces(System.getenv("HERALD_OTLP_ENDPOINT"))
            .withLogLevel(System.getenv("HERALD_LOG_LEVEL"));
    if (config.traces() != null) {
      Platform.log("Traces: every trace exported to " + config.traces());
    }
    Platform platform = Platform.prepare(config);
    CountDownLatch stopped = new CountDownLatch(1);
    // Installed before anything starts: Ctrl-C or SIGTERM during start-up stops what has started.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (!platform.isClosed()) {
                    Platform.log("Stopping...");
                    platform.close();
                    Platform.log("Stopped.");
                  }
                  stopped.countDown();
                },
                "herald-stop"));
    platform.start();
    double seconds = Duration.between(begin, Instant.now()).toMillis() / 1000.0;
    System.out.println(banner(platform, seconds));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void whatsAppStatuses(Path home, String[] args) throws java.io.IOException {
    Ports ports = Ports.defaults();
    String simulators = "http://127.0.0.1:" + ports.simulators();
    String secret = ProviderCredentials.in(home, simulators).get("whatsapp.app-secret");
    List<String> statuses = args.length == 0 ? List.of("delivered", "read") : List.of(args);
    int sent =
        WhatsAppStatusSimulator.report(
            simulators, "http://127.0.0.1:" + ports.gateway(), secret, statuses);
    System.out.println("[herald] the gateway accepted " + sent + " signed status callbacks");
  }

  static String token(Path home, String[] args) {
    if (args.length == 0 || args[0].startsWith("--")) {
      throw new IllegalArgumentException(
          "usage: ./herald token USER [--tenant T] [--roles a,b] [--brands x,y]");
    }
    String user = args[0];
    String tenant = "acme";
    List<String> roles = List.of();
    List<String> brands = List.of();
    for (int i = 1; i < args.length - 1; i += 2) {
      switch (args[i]) {
        case "--tenant" -> tenant = args[i + 1];
        case "--roles" -> roles = List.of(args[i + 1].split(","));
        case "--brands" -> brands = List.of(args[i + 1].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    return new TokenIssuer(Platform.jwtSecretOf(home), Clock.systemUTC())
        .issue(new HeraldPrincipal(tenant, user, roles, brands), Duration.ofHours(8));
  }

  private static String banner(Platform platform, double seconds) {
    Ports p = platform.ports();
    return String.format(
        """

        Herald is up (%.1f s). Everything listens on 127.0.0.1; state is in %s.

          Gateway API          http://127.0.0.1:%d
          notification-service http://127.0.0.1:%d   publishing-service http://127.0.0.1:%d
          email-worker         http://127.0.0.1:%d   whatsapp-worker    http://127.0.0.1:%d
          push-worker          http://127.0.0.1:%d   (each: /actuator/health, /actuator/prometheus)
          Kafka                127.0.0.1:%d
          Apicurio Registry    http://127.0.0.1:%d/apis/ccompat/v7/subjects
          PostgreSQL           127.0.0.1:%d (user postgres)
          GreenMail            SMTP 127.0.0.1:%d, API http://127.0.0.1:%d/api/user
          WhatsApp/FCM sim.    http://127.0.0.1:%d/__admin/mappings
          Prometheus           %s
          Logs                 %s

        Try it (demo tenant acme: alice, bob, carol; tenant globex: dave):

          curl -N -H "Authorization: Bearer $(./herald token bob)" \\
               http://127.0.0.1:%d/api/notifications/stream &
          curl -i -X POST http://127.0.0.1:%d/api/notifications \\
               -H "Authorization: Bearer $(./herald token alice)" -H 'Content-Type: application/json' \\
               -d '{"recipients":{"userIds":["bob"]},"channels":["IN_APP","EMAIL"],"category":"account","title":"Welcome","body":"Hello Bob"}'
          curl http://127.0.0.1:%d/api/user/bob@acme.example/messages/INBOX

        Ctrl-C stops everything.
        """,
        seconds,
        platform.config().dataDir(),
        p.gateway(),
        p.notification(),
        p.publishing(),
        p.emailWorker(),
        p.whatsappWorker(),
        p.pushWorker(),
        p.kafka(),
        p.registry(),
        p.postgres(),
        p.smtp(),
        p.mailApi(),
        p.simulators(),
        platform.hasPrometheus()
            ? platform.prometheusUrl() + "   (alerts: " + platform.prometheusUrl() + "/alerts)"
            : "not installed (apt-get install prometheus, then start again)",
        platform.config().dataDir().resolve("logs"),
        p.gateway(),
        p.gateway(),
        p.mailApi());
  }
}
