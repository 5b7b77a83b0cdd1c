package io.herald.deploy;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PublishRequested;
import io.herald.support.kafka.ConsumerGroupProgress;
import io.herald.support.kafka.RegistrySerde;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publishing jobs against the running platform, the X simulator answering in 50 ms.
 *
 * <pre>
 * ./herald bench publishing [N] [RUNS]            N posts published at once: jobs/s, latency
 * ./herald bench publishing-scheduled [N] [RUNS]  N posts due in the same second, with a second
 *                                                 publishing-service instance: how late the last
 * </pre>
 *
 * A run connects an X account of a tenant of its own over the OAuth flow, writes N approved posts
 * straight onto {@code content.approvals.v1} (as the gateway would) and waits until
 * publishing-service has applied them, then writes one {@code PublishRequested} per post and reads
 * {@code publishing.results.v1} (read_committed) until every job's {@code ContentPublished} is
 * there. A job counts when its result is committed, so the figure includes the claim, the platform
 * call, the recorded attempt and the outbox relay. The simulator counts the posts it accepted by
 * text, so a post published twice shows as a duplicate.
 */
final class PublishingBenchmark {

  private static final String RESULTS = "publishing.results.v1";
  private static final String DELAY_STUB = "7e1a0d4e-0000-4000-8000-0000000000e0";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Ports ports = Ports.defaults();
  private final String simulators = "http://127.0.0.1:" + ports.simulators();
  private final String gateway = "http://127.0.0.1:" + ports.gateway();
  private final Path home;
  private final HttpClient http = HttpClient.newHttpClient();

  private PublishingBenchmark(Path home) {
    this.home = home;
  }

  static void run(Path home, String[] args) throws Exception {
    RegistrySerde.trustHeraldClasses();
    boolean scheduled = args[0].equals("publishing-scheduled");
    int n = args.length > 1 ? Integer.parseInt(args[1]) : scheduled ? 10_000 : 20_000;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    new PublishingBenchmark(home).measure(n, runs, scheduled);
  }

  private void measure(int n, int runs, boolean scheduled) throws Exception {
    delayStub(50);
    Process second = scheduled ? secondInstance() : null;
    try {
      System.out.printf(
          "%-4s %8s %9s %11s %8s %8s %10s %10s %10s%n",
          "run",
          "jobs",
          "seconds",
          scheduled ? "late max s" : "jobs/s",
          "p50 ms",
          "p99 ms",
          "published",
          "receipts",
          "duplicates");
      List<Double> figures = new ArrayList<>();
      for (int run = runs > 1 ? 0 : 1; run <= runs; run++) {
        String tenant = "bench-" + Long.toString(System.nanoTime(), 36);
        String connection = connect(tenant);
        List<String> posts = approvedPosts(tenant, n);
        resetReceipts();
        try (ResultWatcher watcher = new ResultWatcher(tenant)) {
          Instant due =
              scheduled ? Instant.now().plusSeconds(20).truncatedTo(ChronoUnit.SECONDS) : null;
          Instant begin = Instant.now();
          try (KafkaProducer<String, Object> producer = ThroughputBenchmark.producer(ports)) {
            for (String post : posts) {
              PublishRequested request = new PublishRequested();
              request.setEventId(UUID.randomUUID().toString());
              request.setTenantId(tenant);
              request.setOccurredAt(Instant.now());
              request.setPostId(post);
              request.setRequestedBy("bench");
              request.setPlatforms(List.of(connection));
              request.setScheduledAt(due);
              producer.send(new ProducerRecord<>("publishing.requests.v1", post, request));
            }
            producer.flush();
          }
          watcher.await(n, Duration.ofMinutes(10));
          Instant start = scheduled ? due : begin;
          double seconds = Duration.between(start, watcher.last()).toMillis() / 1000.0;
          List<Long> latencies = watcher.latencies(start);
          Map<String, Long> receipts = receipts();
          double figure = scheduled ? seconds : n / seconds;
          if (run > 0) {
            figures.add(figure);
          }
          System.out.printf(
              "%-4s %8d %9.1f %11.1f %8d %8d %10d %10d %10d%n",
              run == 0 ? "warm" : Integer.toString(run),
              n,
              seconds,
              figure,
              WorkerBenchmark.percentile(latencies, 0.50),
              WorkerBenchmark.percentile(latencies, 0.99),
              watcher.distinctJobs(),
              receipts.getOrDefault("distinct", 0L),
              receipts.getOrDefault("duplicates", 0L));
        }
      }
      if (runs > 1) {
        System.out.printf(
            scheduled
                ? "median over %d runs: the last of the jobs published %.1f s after the due second%n"
                : "median over %d runs: %.0f jobs per second%n",
            runs,
            ThroughputBenchmark.median(figures));
      }
    } finally {
      removeStub();
      if (second != null) {
        System.out.printf(
            "attempts run by each instance since it started: publishing-1 %.0f, publishing-2 %.0f%n",
            attempts(ports.publishing()), attempts(8086));
        second.destroy();
        second.waitFor();
      }
    }
  }

  /** Connects the tenant's brand {@code bench} to the simulated X over the OAuth flow. */
  private String connect(String tenant) throws Exception {
    String admin =
        new TokenIssuer(Platform.jwtSecretOf(home), Clock.systemUTC())
            .issue(
                new HeraldPrincipal(tenant, "bench-admin", List.of("admin"), List.of("bench")),
                Duration.ofHours(1));
    HttpResponse<String> started =
        http.send(
            HttpRequest.newBuilder(URI.create(gateway + "/api/connections/authorize"))
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"brandId\":\"bench\",\"platform\":\"X\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (started.statusCode() != 200) {
      throw new PlatformException("cannot start the X authorization: " + started.body());
    }
    String url = JSON.readTree(started.body()).get("authorizeUrl").asString();
    HttpResponse<String> consent =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    String callback = consent.headers().firstValue("Location").orElseThrow();
    HttpResponse<String> connected =
        http.send(
            HttpRequest.newBuilder(URI.create(callback)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (connected.statusCode() != 200) {
      throw new PlatformException("the X connection failed: " + connected.body());
    }
    return JSON.readTree(connected.body()).get("connectionId").asString();
  }

  /** N posts created, submitted and approved, once publishing-service has applied them all. */
  private List<String> approvedPosts(String tenant, int n) throws Exception {
    List<String> posts = new ArrayList<>(n);
    try (KafkaProducer<String, Object> producer = ThroughputBenchmark.producer(ports)) {
      for (int i = 0; i < n; i++) {
        String post = UUID.randomUUID().toString();
        posts.add(post);
        Instant now = Instant.now();
        PostCreated created = new PostCreated();
        created.setEventId(UUID.randomUUID().toString());
        created.setTenantId(tenant);
        created.setOccurredAt(now);
        created.setPostId(post);
        created.setBrandId("bench");
        created.setAuthorId("bench-author");
        created.setText("Benchmark post " + i + " " + post);
        created.setMediaUrls(List.of());
        created.setPlatforms(List.of("X"));
        PostSubmitted submitted = new PostSubmitted();
        submitted.setEventId(UUID.randomUUID().toString());
        submitted.setTenantId(tenant);
        submitted.setOccurredAt(now);
        submitted.setPostId(post);
        submitted.setSubmittedBy("bench-author");
        ContentApproved approved = new ContentApproved();
        approved.setEventId(UUID.randomUUID().toString());
        approved.setTenantId(tenant);
        approved.setOccurredAt(now);
        approved.setPostId(post);
        approved.setApprovedBy("bench-approver");
        for (Object event : List.of(created, submitted, approved)) {
          producer.send(new ProducerRecord<>("content.approvals.v1", post, event));
        }
      }
      producer.flush();
    }
    try (AdminClient admin =
        AdminClient.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports.kafka()))) {
      Map<TopicPartition, Long> ends =
          ConsumerGroupProgress.endOffsets(admin, "content.approvals.v1");
      Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
      while (!ConsumerGroupProgress.caughtUp(admin, "publishing-service", ends, 0)) {
        if (Instant.now().isAfter(deadline)) {
          throw new PlatformException("publishing-service did not apply the posts in 5 minutes");
        }
        Thread.sleep(200);
      }
    }
    return posts;
  }

  /** Reads the results topic from its current end, counting the run's publications. */
  private final class ResultWatcher implements AutoCloseable {
    private final Map<String, Long> publishedAt = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile long last;

    @SuppressWarnings({"unchecked", "rawtypes"})
    ResultWatcher(String tenant) {
      Map<String, Object> config =
          new HashMap<>(
              RegistrySerde.consumerProperties(
                  "http://127.0.0.1:" + ports.registry() + "/apis/registry/v3"));
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports.kafka());
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      AvroKafkaDeserializer<Object> avro = new AvroKafkaDeserializer<>();
      avro.configure(
          (Map)
              RegistrySerde.consumerProperties(
                  "http://127.0.0.1:" + ports.registry() + "/apis/registry/v3"),
          false);
      KafkaConsumer<String, Object> consumer =
          new KafkaConsumer<>(config, new StringDeserializer(), avro);
      List<TopicPartition> partitions =
          consumer.partitionsFor(RESULTS, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(RESULTS, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
      thread =
          new Thread(
              () -> {
                try (consumer) {
                  while (running.get()) {
                    for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(200))) {
                      if (r.value() instanceof ContentPublished p
                          && p.getTenantId().equals(tenant)) {
                        long at = p.getOccurredAt().toEpochMilli();
                        publishedAt.putIfAbsent(p.getJobId(), at);
                        last = Math.max(last, at);
                      }
                    }
                  }
                }
              },
              "results-watcher");
      thread.start();
    }

    void await(int n, Duration timeout) throws InterruptedException {
      Instant deadline = Instant.now().plus(timeout);
      while (publishedAt.size() < n && Instant.now().isBefore(deadline)) {
        Thread.sleep(100);
      }
      if (publishedAt.size() < n) {
        throw new PlatformException(
            "only " + publishedAt.size() + " of " + n + " jobs were published in " + timeout);
      }
    }

    Instant last() {
      return Instant.ofEpochMilli(last);
    }

    int distinctJobs() {
      return publishedAt.size();
    }

    /** From the start (the publish requests, or the due second) to each job's publication. */
    List<Long> latencies(Instant start) {
      List<Long> out = new ArrayList<>();
      publishedAt.values().forEach(at -> out.add(Math.max(0, at - start.toEpochMilli())));
      Collections.sort(out);
      return out;
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }

  /**
   * A second publishing-service on the platform's database and broker, with an instance id of its
   * own, for as long as the benchmark runs.
   */
  private Process secondInstance() throws Exception {
    ProviderCredentials credentials = ProviderCredentials.in(home, simulators);
    int port = 8086;
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms64m",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-Xss512k",
            "-jar",
            Path.of("publishing-service", "target", "publishing-service.jar").toString());
    Map<String, String> env = builder.environment();
    env.put("PORT", Integer.toString(port));
    env.put("KAFKA_BOOTSTRAP", "127.0.0.1:" + ports.kafka());
    env.put("REGISTRY_URL", "http://127.0.0.1:" + ports.registry() + "/apis/registry/v3");
    env.put("HERALD_JWT_SECRET", new String(Platform.jwtSecretOf(home), StandardCharsets.UTF_8));
    env.put("HERALD_INSTANCE_ID", "publishing-2");
    env.put("DATABASE_HOST", "127.0.0.1");
    env.put("DATABASE_PORT", Integer.toString(ports.postgres()));
    env.put("DATABASE_NAME", "publishing");
    env.put("DATABASE_USER", "postgres");
    env.put("DATABASE_PASSWORD", "postgres");
    env.put("PUBLISHING_TOKEN_KEY", credentials.get(ProviderCredentials.TOKEN_KEY));
    env.put("X_API_URL", simulators);
    env.put("X_CLIENT_ID", "herald-local");
    Path log = home.resolve("logs").resolve("publishing-service-2.log");
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    Process process = builder.start();
    Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
    while (Http.status("http://127.0.0.1:" + port + "/actuator/health/readiness") != 200) {
      if (!process.isAlive() || Instant.now().isAfter(deadline)) {
        process.destroy();
        throw new PlatformException("the second publishing-service did not start; see " + log);
      }
      Thread.sleep(500);
    }
    System.out.println("[herald] a second publishing-service (publishing-2) runs on port " + port);
    return process;
  }

  /** herald_publishing_attempts_total of the instance on {@code port}, all outcomes. */
  private static double attempts(int port) {
    try {
      double total = 0;
      for (String line :
          Http.get("http://127.0.0.1:" + port + "/actuator/prometheus").split("\n")) {
        if (line.startsWith("herald_publishing_attempts_total{")) {
          total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return total;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private void delayStub(int millis) throws IOException {
    String stub =
        "{\"id\":\""
            + DELAY_STUB
            + "\",\"priority\":2,\"request\":{\"method\":\"POST\",\"urlPath\":\"/2/tweets\"},"
            + "\"response\":{\"status\":201,\"fixedDelayMilliseconds\":"
            + millis
            + ",\"transformers\":[\"herald-x\"]}}";
    Http.post(simulators + "/__admin/mappings", stub, "Content-Type", "application/json");
  }

  private void removeStub() {
    try {
      http.send(
          HttpRequest.newBuilder(URI.create(simulators + "/__admin/mappings/" + DELAY_STUB))
              .DELETE()
              .build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException | InterruptedException e) {
      // already gone
    }
  }

  private void resetReceipts() throws IOException, InterruptedException {
    http.send(
        HttpRequest.newBuilder(URI.create(simulators + "/__admin/herald/receipts"))
            .DELETE()
            .build(),
        HttpResponse.BodyHandlers.discarding());
  }

  private Map<String, Long> receipts() throws IOException {
    JsonNode x = JSON.readTree(Http.get(simulators + "/__admin/herald/receipts")).path("x");
    Map<String, Long> out = new HashMap<>();
    x.properties().forEach(e -> out.put(e.getKey(), e.getValue().asLong()));
    return out;
  }
}
