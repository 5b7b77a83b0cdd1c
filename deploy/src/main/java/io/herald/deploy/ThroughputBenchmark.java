package io.herald.deploy;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PushContactPoint;
import io.herald.events.v1.SubscriberUpdated;
import io.herald.support.kafka.ConsumerGroupProgress;
import io.herald.support.kafka.RegistrySerde;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Throughput of notification-service on a running platform, measured from outside as a user sees
 * it: records produced straight onto {@code notification.requests.v1}, done when the service's
 * consumer group has committed every request (and chunk): its Kafka transactions commit the offsets
 * together with the inbox events and channel deliveries, after the inbox rows are stored.
 * Afterwards the stored rows and the committed records are counted.
 *
 * <pre>
 * ./herald bench pipeline [N] [RUNS]   N single-recipient in-app requests (default 1,000,000)
 * ./herald bench fanout [USERS] [RUNS] one request to a role of USERS users x IN_APP, EMAIL, PUSH
 *                                      (default 100,000; each user has an e-mail and one FCM token,
 *                                      registered on notification.subscribers.v1 before the clock starts)
 * ./herald bench scheduled [N] [RUNS]  N single-recipient in-app requests all due at the same second
 *                                      (default 100,000): held first, then timed from that second
 *                                      until every one is written back and until every inbox item is
 *                                      stored
 * ./herald bench digest [USERS] [RUNS]  a daily digest run for USERS users (default 100,000) with 10
 *                                      items each: the items are collected by the fan-out from ten
 *                                      requests to a role of every user (e-mail and in-app, category
 *                                      digested daily), then every user's digest is made due at the
 *                                      same second; timed from that second until every digest is
 *                                      recorded, and its e-mail committed on notification.email.v1;
 *                                      the channel workers are stopped (SIGSTOP) meanwhile unless
 *                                      HERALD_BENCH_WITH_WORKERS=true
 * </pre>
 */
final class ThroughputBenchmark {

  private static final String REQUESTS = "notification.requests.v1";
  private static final String CHUNKS = "notification.fanout-chunks.v1";
  private static final String GROUP = "notification-service";

  private final Ports ports;
  private final AdminClient admin;

  private ThroughputBenchmark(Ports ports) {
    this.ports = ports;
    this.admin =
        AdminClient.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports.kafka()));
  }

  static void run(String[] args) throws Exception {
    RegistrySerde.trustHeraldClasses();
    String mode = args.length > 0 ? args[0] : "pipeline";
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    ThroughputBenchmark bench = new ThroughputBenchmark(Ports.defaults());
    List<Double> rates = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    System.out.printf(
        "%-4s %-9s %10s %10s %12s %14s %12s%n",
        "run", "mode", "n", "seconds", "per second", "records out", "peak heap");
    for (int run = 1; run <= runs; run++) {
      Result r =
          switch (mode) {
            case "pipeline" ->
                bench.pipeline(args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000);
            case "fanout" -> bench.fanOut(args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
            case "scheduled" ->
                bench.scheduled(args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
            case "digest" -> bench.digest(args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
            default ->
                throw new IllegalArgumentException(
                    "usage: bench pipeline|fanout|scheduled|digest [N] [RUNS]");
          };
      rates.add(r.perSecond());
      seconds.add(r.seconds());
      System.out.printf(
          "%-4d %-9s %10d %10.1f %12.0f %14d %9.0f MiB%n",
          run, mode, r.n(), r.seconds(), r.perSecond(), r.recordsOut(), r.peakHeapMiB());
    }
    if (runs > 1) {
      System.out.printf(
          "median over %d runs: %.1f s, %.0f per second%n", runs, median(seconds), median(rates));
    }
    bench.admin.close();
  }

  /**
   * N single-recipient in-app requests; the figure is recipient-deliveries (inbox items) per
   * second.
   */
  private Result pipeline(int n) throws Exception {
    String run = Long.toString(System.currentTimeMillis(), 36);
    String tenant = "bench-" + run;
    Map<TopicPartition, Long> inboxStart = endOffsets("notification.inbox.v1");
    HeapSampler heap = new HeapSampler(ports.notification());
    Instant begin = Instant.now();
    try (KafkaProducer<String, Object> producer = producer(ports)) {
      for (int i = 0; i < n; i++) {
        String id = UUID.randomUUID().toString();
        producer.send(
            new ProducerRecord<>(
                REQUESTS,
                id,
                request(
                    tenant,
                    id,
                    new Audience(List.of(tenant + "-u" + (i % 20_000)), List.of()),
                    List.of(Channel.IN_APP))));
      }
      producer.flush();
    }
    Instant produced = Instant.now();
    System.out.printf("  produced %d requests in %.1f s%n", n, secondsBetween(begin, produced));
    awaitCommitted(REQUESTS, endOffsets(REQUESTS), 0);
    Instant done = Instant.now();
    heap.stop();
    long stored = count("SELECT count(*) FROM inbox_items WHERE tenant_id = ?", tenant);
    long events = countRecords("notification.inbox.v1", inboxStart, tenant + "-u");
    System.out.printf("  inbox items stored: %d, InboxItemCreated committed: %d%n", stored, events);
    check(stored == n && events == n, "expected " + n + " of each");
    double s = secondsBetween(begin, done);
    return new Result(n, s, n / s, events, heap.peakMiB());
  }

  /**
   * N single-recipient in-app requests with the same {@code sendAt}, a whole second far enough
   * ahead for all of them to be held first. The figure is the time from that second until the last
   * of them was written back to the topic (by the database's clock, from the rows), and the rate
   * that makes; the time until every inbox item was stored is printed too.
   */
  private Result scheduled(int n) throws Exception {
    String run = Long.toString(System.currentTimeMillis(), 36);
    String tenant = "bench-" + run;
    Map<TopicPartition, Long> inboxStart = endOffsets("notification.inbox.v1");
    HeapSampler heap = new HeapSampler(ports.notification());
    Instant begin = Instant.now();
    Instant due = begin.plusSeconds(15 + n / 4_000).plusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
    try (KafkaProducer<String, Object> producer = producer(ports)) {
      for (int i = 0; i < n; i++) {
        String id = UUID.randomUUID().toString();
        NotificationRequested request =
            request(
                tenant,
                id,
                new Audience(List.of(tenant + "-u" + (i % 20_000)), List.of()),
                List.of(Channel.IN_APP));
        request.setSendAt(due);
        producer.send(new ProducerRecord<>(REQUESTS, id, request));
      }
      producer.flush();
    }
    awaitCommitted(REQUESTS, endOffsets(REQUESTS), 0);
    Instant held = Instant.now();
    long waiting =
        count(
            "SELECT count(*) FROM scheduled_notifications WHERE tenant_id = ?"
                + " AND status = 'SCHEDULED'",
            tenant);
    System.out.printf(
        "  produced and held %d requests in %.1f s; all due at %s%n",
        waiting, secondsBetween(begin, held), due);
    check(
        waiting == n && held.isBefore(due),
        "all " + n + " must be held before they are due (" + waiting + " held)");
    // Cheap to ask while it runs (the rows still waiting are few and indexed), so the benchmark
    // does not load the database it measures.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (count(
            "SELECT count(*) FROM scheduled_notifications WHERE status = 'SCHEDULED'"
                + " AND tenant_id = ?",
            tenant)
        > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the held requests were not all written back");
      }
      Thread.sleep(100);
    }
    // Delivered: the service's group has committed every due copy, after storing its inbox item.
    awaitCommitted(REQUESTS, endOffsets(REQUESTS), 0);
    Instant delivered = Instant.now();
    heap.stop();
    double fired =
        millis(
                "SELECT (extract(epoch FROM max(done_at) - min(send_at)) * 1000)::bigint"
                    + " FROM scheduled_notifications WHERE tenant_id = ? AND status = 'SENT'",
                tenant)
            / 1000.0;
    long sent =
        count(
            "SELECT count(*) FROM scheduled_notifications WHERE tenant_id = ? AND status = 'SENT'",
            tenant);
    long events = countRecords("notification.inbox.v1", inboxStart, tenant + "-u");
    System.out.printf(
        "  written back: %d, last %.2f s after their second; every inbox item stored %.2f s after"
            + " it (%d items, %d InboxItemCreated)%n",
        sent, fired, secondsBetween(due, delivered), n, events);
    check(sent == n && events == n, "expected " + n + " of each");
    return new Result(n, fired, n / fired, events, heap.peakMiB());
  }

  /**
   * A daily digest run: USERS users with 10 collected items each, all due at one second. The figure
   * is the time from that second until the service has recorded every user's digest (seen by
   * polling every 250 ms); the e-mails committed on the topic are counted after.
   */
  private Result digest(int users) throws Exception {
    String run = Long.toString(System.currentTimeMillis(), 36);
    String tenant = "bench-digest-" + run;
    int itemsEach = 10;
    seedRole(tenant, users);
    update("INSERT INTO digest_frequencies VALUES (?, '*', 'bench', 'DAILY')", tenant);
    Map<TopicPartition, Long> emailStart = endOffsets("notification.email.v1");
    Instant begin = Instant.now();
    try (KafkaProducer<String, Object> producer = producer(ports)) {
      for (int i = 0; i < itemsEach; i++) {
        String id = UUID.randomUUID().toString();
        NotificationRequested request =
            request(
                tenant,
                id,
                new Audience(List.of(), List.of("everyone")),
                List.of(Channel.IN_APP, Channel.EMAIL));
        request.setTitle("Benchmark item " + (i + 1));
        producer.send(new ProducerRecord<>(REQUESTS, id, request));
      }
      producer.flush();
    }
    long expected = (long) users * itemsEach;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (count("SELECT count(*) FROM digest_items WHERE tenant_id = ?", tenant) < expected) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the items were not all collected within 30 minutes");
      }
      Thread.sleep(1000);
    }
    long scheduled = count("SELECT count(*) FROM digest_schedule WHERE tenant_id = ?", tenant);
    System.out.printf(
        "  collected %d items for %d scheduled digests in %.1f s%n",
        expected, scheduled, secondsBetween(begin, Instant.now()));
    check(scheduled == users, "expected a digest scheduled for each of " + users + " users");
    try (Connection c = database();
        var s = c.createStatement()) {
      s.execute("ANALYZE digest_items");
      s.execute("ANALYZE digest_schedule");
    }
    Instant due = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
    try (Connection c = database();
        PreparedStatement s =
            c.prepareStatement("UPDATE digest_schedule SET due_at = ? WHERE tenant_id = ?")) {
      s.setTimestamp(1, java.sql.Timestamp.from(due));
      s.setString(2, tenant);
      s.executeUpdate();
    }
    HeapSampler heap = new HeapSampler(ports.notification());
    // The channel workers would deliver the digests while the run goes on (their own benchmark
    // measures that): stopped (SIGSTOP) until it ends, so the run has the machine to itself.
    boolean workers = "true".equals(System.getenv("HERALD_BENCH_WITH_WORKERS"));
    List<Long> paused = new ArrayList<>();
    if (!workers) {
      paused.addAll(HttpBenchmark.signal("STOP", "email-worker"));
      paused.addAll(HttpBenchmark.signal("STOP", "push-worker"));
    }
    Instant done;
    try {
      deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
      while (count("SELECT count(*) FROM digests WHERE tenant_id = ?", tenant) < users) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the digests were not all sent within 30 minutes");
        }
        Thread.sleep(250);
      }
      done = Instant.now();
    } finally {
      if (!paused.isEmpty()) {
        HttpBenchmark.signal("CONT", "email-worker");
        HttpBenchmark.signal("CONT", "push-worker");
      }
    }
    heap.stop();
    double seconds = secondsBetween(due, done);
    long records = countRecords("notification.email.v1", emailStart, tenant + "-u");
    long left = count("SELECT count(*) FROM digest_items WHERE tenant_id = ?", tenant);
    System.out.printf(
        "  %d digests recorded %.2f s after their second; %d digest e-mails committed; %d items"
            + " left%n",
        users, seconds, records, left);
    check(records == users && left == 0, "expected " + users + " e-mails and no item left");
    return new Result(users, seconds, users / seconds, records, heap.peakMiB());
  }

  private void update(String sql, String parameter) throws SQLException {
    try (Connection c = database();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, parameter);
      s.executeUpdate();
    }
  }

  private long millis(String sql, String parameter) throws SQLException {
    return count(sql, parameter);
  }

  /** One request to a role of USERS users with IN_APP, EMAIL and PUSH. */
  private Result fanOut(int users) throws Exception {
    String run = Long.toString(System.currentTimeMillis(), 36);
    String tenant = "bench-fanout-" + run;
    seedRole(tenant, users);
    Map<TopicPartition, Long> emailStart = endOffsets("notification.email.v1");
    Map<TopicPartition, Long> pushStart = endOffsets("notification.push.v1");
    HeapSampler heap = new HeapSampler(ports.notification());
    Instant begin = Instant.now();
    try (KafkaProducer<String, Object> producer = producer(ports)) {
      String id = UUID.randomUUID().toString();
      producer
          .send(
              new ProducerRecord<>(
                  REQUESTS,
                  id,
                  request(
                      tenant,
                      id,
                      new Audience(List.of(), List.of("everyone")),
                      List.of(Channel.IN_APP, Channel.EMAIL, Channel.PUSH))))
          .get();
    }
    awaitCommitted(REQUESTS, endOffsets(REQUESTS), 0);
    // The request's chunks are all on the chunk topic once the request is committed; that topic
    // is written in transactions, so its end offset lies one past the commit marker.
    awaitCommitted(CHUNKS, endOffsets(CHUNKS), 1);
    Instant done = Instant.now();
    heap.stop();
    long stored = count("SELECT count(*) FROM inbox_items WHERE tenant_id = ?", tenant);
    long emails = countRecords("notification.email.v1", emailStart, tenant + "-u");
    long pushes = countRecords("notification.push.v1", pushStart, tenant + "-u");
    System.out.printf(
        "  inbox items: %d, e-mail deliveries: %d, push deliveries: %d%n", stored, emails, pushes);
    check(stored == users && emails == users && pushes == users, "expected " + users + " of each");
    double s = secondsBetween(begin, done);
    return new Result(users, s, users / s, emails + pushes + stored, heap.peakMiB());
  }

  /**
   * USERS subscribers with the role, an e-mail address and one FCM token each, registered the way
   * an identity team would: on {@code notification.subscribers.v1}; waits until they are stored.
   */
  private void seedRole(String tenant, int users) throws Exception {
    Instant begin = Instant.now();
    try (KafkaProducer<String, Object> producer = producer(ports)) {
      for (int i = 0; i < users; i++) {
        String user = String.format("%s-u%07d", tenant, i);
        producer.send(
            new ProducerRecord<>(
                "notification.subscribers.v1",
                tenant + "/" + user,
                SubscriberUpdated.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setTenantId(tenant)
                    .setOccurredAt(Instant.now())
                    .setUserId(user)
                    .setRoles(List.of("everyone"))
                    .setEmail(user + "@bench.example")
                    .setPushContacts(List.of(new PushContactPoint("FCM", "fcm-" + user, null)))
                    .build()));
      }
      producer.flush();
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (count("SELECT count(*) FROM push_contacts WHERE tenant_id = ?", tenant) < users) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("subscribers were not stored within 10 minutes");
      }
      Thread.sleep(200);
    }
    try (Connection c = database();
        var s = c.createStatement()) {
      s.execute("ANALYZE subscribers");
      s.execute("ANALYZE push_contacts");
    }
    System.out.printf(
        "  registered %d subscribers with role 'everyone' through notification.subscribers.v1"
            + " in %.1f s%n",
        users, secondsBetween(begin, Instant.now()));
  }

  private NotificationRequested request(
      String tenant, String id, Audience audience, List<Channel> channels) {
    return NotificationRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setRequestId(id)
        .setRequestedBy("bench")
        .setAudience(audience)
        .setChannels(channels)
        .setCategory("bench")
        .setTitle("Benchmark")
        .setBody("A notification of the throughput benchmark")
        .build();
  }

  static KafkaProducer<String, Object> producer(Ports ports) {
    Map<String, Object> config =
        new HashMap<>(
            RegistrySerde.producerProperties(
                "http://127.0.0.1:" + ports.registry() + "/apis/registry/v3"));
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports.kafka());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class);
    return new KafkaProducer<>(config);
  }

  private Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    return ConsumerGroupProgress.endOffsets(admin, topic);
  }

  /**
   * Waits until the service's group has committed {@code targets} (see {@link
   * ConsumerGroupProgress}).
   */
  private void awaitCommitted(String topic, Map<TopicPartition, Long> targets, int markerSlack)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (!ConsumerGroupProgress.caughtUp(admin, GROUP, targets, markerSlack)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("notification-service did not catch up on " + topic);
      }
      Thread.sleep(50);
    }
  }

  /** Committed records after {@code from} whose key starts with the prefix. */
  private long countRecords(String topic, Map<TopicPartition, Long> from, String keyPrefix) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports.kafka());
    config.put(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        IsolationLevel.READ_COMMITTED.toString().toLowerCase());
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    long count = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(from.keySet());
      from.forEach(consumer::seek);
      Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet());
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.key() != null && r.key().startsWith(keyPrefix)) {
            count++;
          }
        }
      }
    }
    return count;
  }

  private long count(String sql, String parameter) throws SQLException {
    try (Connection c = database();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, parameter);
      try (ResultSet rows = s.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  private Connection database() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + ports.postgres() + "/notification",
        "postgres",
        "postgres");
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException("benchmark result is wrong: " + message);
    }
  }

  private static double secondsBetween(Instant a, Instant b) {
    return Duration.between(a, b).toMillis() / 1000.0;
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int m = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
  }

  record Result(int n, double seconds, double perSecond, long recordsOut, double peakHeapMiB) {}

  /** Samples the service's used heap from its Prometheus endpoint while a run lasts. */
  private static final class HeapSampler {
    private static final Pattern HEAP =
        Pattern.compile(
            "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.E+]+)", Pattern.MULTILINE);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong peak = new AtomicLong();

    HeapSampler(int port) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
              .build();
      timer.scheduleAtFixedRate(
          () -> {
            try {
              String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
              Matcher m = HEAP.matcher(body);
              double used = 0;
              while (m.find()) {
                used += Double.parseDouble(m.group(1));
              }
              long bytes = (long) used;
              peak.accumulateAndGet(bytes, Math::max);
            } catch (IOException | InterruptedException | RuntimeException e) {
              // a missed sample only lowers the resolution
            }
          },
          0,
          250,
          TimeUnit.MILLISECONDS);
    }

    void stop() {
      timer.shutdownNow();
    }

    double peakMiB() {
      return peak.get() / (1024.0 * 1024.0);
    }
  }
}
