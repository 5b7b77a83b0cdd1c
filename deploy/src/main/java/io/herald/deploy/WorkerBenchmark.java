package io.herald.deploy;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.events.v1.WebPushKeys;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.support.kafka.RegistrySerde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Deliveries per second of one channel worker on a running platform, with its provider simulator
 * answering in 20 ms, measured from outside: delivery records are produced straight onto the
 * channel topic (as notification-service would), and a delivery counts when its {@code
 * DeliverySent} is on {@code notification.delivery-status.v1}. Latency is from the record's
 * creation to its {@code DeliverySent}. The simulators count what reached the provider, by delivery
 * id, so double sends are seen where they would hurt.
 *
 * <pre>
 * ./herald bench worker push|webpush|whatsapp|email [N] [RUNS]   as fast as the worker goes
 *                                                        (push: FCM devices; webpush: subscriptions)
 * ./herald bench worker push [N] [RUNS] --rate 2000          p50/p99 latency at a steady rate
 * ./herald bench outage [SECONDS]                            1,000 push deliveries/s, half FCM and
 *                                                            half Web Push; FCM fails for 60 s
 * </pre>
 *
 * The WhatsApp worker limits each phone number to 80 messages/s (the Cloud API's default); start
 * the platform with {@code WHATSAPP_RATE_LIMIT=0} to measure the worker rather than the limit.
 */
final class WorkerBenchmark {

  private static final String STATUS = "notification.delivery-status.v1";
  private static final String DELAY_STUB = "7e1a0d4e-0000-4000-8000-0000000000d0";
  private static final String OUTAGE_STUB = "7e1a0d4e-0000-4000-8000-000000000005";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Ports ports = Ports.defaults();
  private final String simulators = "http://127.0.0.1:" + ports.simulators();
  private final Path simulatorsDir = Path.of("deploy/simulators");
  private final ProviderCredentials credentials;

  private WorkerBenchmark(Path home) {
    this.credentials = ProviderCredentials.in(home, simulators);
  }

  static void run(Path home, String[] args) throws Exception {
    RegistrySerde.trustHeraldClasses();
    WorkerBenchmark bench = new WorkerBenchmark(home);
    List<String> positional = new ArrayList<>();
    int rate = 0;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--rate")) {
        rate = Integer.parseInt(args[++i]);
      } else {
        positional.add(args[i]);
      }
    }
    if (positional.get(0).equals("outage")) {
      bench.outage(positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 150);
      return;
    }
    String channel = positional.size() > 1 ? positional.get(1) : "push";
    int n = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 100_000;
    int runs = positional.size() > 3 ? Integer.parseInt(positional.get(3)) : 1;
    bench.throughput(channel, n, runs, rate);
  }

  private void throughput(String channel, int n, int runs, int rate) throws Exception {
    delay(channel, 20);
    try {
      System.out.printf(
          "%-4s %-9s %8s %9s %11s %8s %8s %8s %10s %10s%n",
          "run",
          "channel",
          "n",
          "seconds",
          "per second",
          "p50 ms",
          "p99 ms",
          "max ms",
          "receipts",
          "duplicates");
      List<Double> rates = new ArrayList<>();
      List<Double> p99s = new ArrayList<>();
      for (int run = runs > 1 ? 0 : 1; run <= runs; run++) {
        // With several runs, run 0 warms up the worker's and the simulator's JIT and is not
        // counted.
        resetReceipts();
        Tally tally = new Tally("bench-" + Long.toString(System.nanoTime(), 36));
        try (StatusWatcher watcher = new StatusWatcher(tally)) {
          Instant begin = Instant.now();
          try (KafkaProducer<String, Object> producer = ThroughputBenchmark.producer(ports)) {
            Pacer pacer = new Pacer(rate);
            for (int i = 0; i < n; i++) {
              pacer.await(i);
              send(
                  producer,
                  channel.equals("webpush") ? "push" : channel,
                  tally,
                  i,
                  channel.equals("webpush") ? "WEB_PUSH" : "FCM");
            }
            producer.flush();
          }
          watcher.awaitAll(n, Duration.ofMinutes(10));
          double seconds = Duration.between(begin, tally.lastSent()).toMillis() / 1000.0;
          Map<String, Long> receipts = receipts(provider(channel));
          List<Long> latencies = tally.latencies();
          if (run > 0) {
            rates.add(n / seconds);
            p99s.add((double) percentile(latencies, 0.99));
          }
          System.out.printf(
              "%-4s %-9s %8d %9.1f %11.0f %8d %8d %8d %10d %10d%n",
              run == 0 ? "warm" : Integer.toString(run),
              channel,
              n,
              seconds,
              n / seconds,
              percentile(latencies, 0.50),
              percentile(latencies, 0.99),
              percentile(latencies, 1.0),
              receipts.getOrDefault("distinct", 0L),
              receipts.getOrDefault("duplicates", 0L));
        }
      }
      if (runs > 1) {
        System.out.printf(
            "median over %d runs: %.0f deliveries per second, p99 %.0f ms%n",
            runs, ThroughputBenchmark.median(rates), ThroughputBenchmark.median(p99s));
      }
    } finally {
      removeStub(DELAY_STUB);
    }
  }

  /**
   * 1,000 deliveries/s, half to FCM and half to Web Push; FCM is down from 20 s to 80 s. Prints a
   * timeline every 5 s, then what was lost, doubled and how long the backlog took to drain.
   */
  private void outage(int seconds) throws Exception {
    int perSecond = 1000;
    delay("push", 20);
    resetReceipts();
    Tally tally = new Tally("outage-" + Long.toString(System.nanoTime(), 36));
    Instant begin = Instant.now();
    Instant outageStart = begin.plusSeconds(20);
    Instant outageEnd = outageStart.plusSeconds(60);
    AtomicBoolean down = new AtomicBoolean();
    long produced = 0;
    try (StatusWatcher watcher = new StatusWatcher(tally);
        KafkaProducer<String, Object> producer = ThroughputBenchmark.producer(ports)) {
      System.out.printf(
          "%6s %-8s %9s %9s %9s %9s %12s%n",
          "t (s)", "FCM", "produced", "FCM sent", "WP sent", "retrying", "FCM circuit");
      Pacer pacer = new Pacer(perSecond);
      long nextReport = 5;
      int total = seconds * perSecond;
      for (int i = 0; i < total; i++) {
        pacer.await(i);
        Instant now = Instant.now();
        if (!down.get() && now.isAfter(outageStart) && now.isBefore(outageEnd)) {
          failureMode("fcm-outage.json");
          down.set(true);
        } else if (down.get() && now.isAfter(outageEnd)) {
          removeStub(OUTAGE_STUB);
          down.set(false);
        }
        send(producer, "push", tally, i, i % 2 == 0 ? "FCM" : "WEB_PUSH");
        produced++;
        long elapsed = Duration.between(begin, now).toSeconds();
        if (elapsed >= nextReport) {
          report(elapsed, down.get(), produced, tally);
          nextReport += 5;
        }
      }
      producer.flush();
      if (down.get()) {
        removeStub(OUTAGE_STUB);
      }
      Instant drainBegin = Instant.now();
      while (tally.done() < produced
          && Duration.between(drainBegin, Instant.now()).compareTo(Duration.ofMinutes(10)) < 0) {
        Thread.sleep(5000);
        report(Duration.between(begin, Instant.now()).toSeconds(), false, produced, tally);
      }
      Map<String, Long> fcm = receipts("fcm");
      Map<String, Long> webPush = receipts("webpush");
      long lost = produced - tally.sent.size() - tally.failedFinal.size();
      System.out.printf(
          "%nproduced %d (FCM %d, Web Push %d); sent %d; failed for good %d; lost %d%n",
          produced,
          tally.fcmProduced.get(),
          produced - tally.fcmProduced.get(),
          tally.sent.size(),
          tally.failedFinal.size(),
          lost);
      System.out.printf(
          "at the simulator: FCM accepted %d (distinct %d, duplicates %d), Web Push accepted %d%n",
          fcm.getOrDefault("accepted", 0L),
          fcm.getOrDefault("distinct", 0L),
          fcm.getOrDefault("duplicates", 0L),
          webPush.getOrDefault("accepted", 0L));
      long recovered = outageEnd.toEpochMilli();
      long drained =
          tally.fcmDeliveries.stream()
              .filter(id -> tally.created.getOrDefault(id, Long.MAX_VALUE) < recovered)
              .mapToLong(id -> tally.sent.getOrDefault(id, Long.MAX_VALUE))
              .max()
              .orElse(recovered);
      System.out.printf(
          "outage %d s to %d s; every FCM delivery created before the recovery was sent %.1f s"
              + " after it%n",
          Duration.between(begin, outageStart).toSeconds(),
          Duration.between(begin, outageEnd).toSeconds(),
          (drained - recovered) / 1000.0);
    } finally {
      removeStub(DELAY_STUB);
      removeStub(OUTAGE_STUB);
    }
  }

  private void report(long t, boolean down, long produced, Tally tally) {
    System.out.printf(
        "%6d %-8s %9d %9d %9d %9d %12s%n",
        t,
        down ? "DOWN" : "up",
        produced,
        tally.fcmSent.get(),
        tally.webPushSent.get(),
        produced - tally.done(),
        circuitState());
  }

  private void send(
      KafkaProducer<String, Object> producer, String channel, Tally tally, int i, String platform) {
    String deliveryId = UUID.randomUUID().toString();
    String user = "user-" + (i % 997);
    Instant now = Instant.now();
    String topic;
    org.apache.avro.specific.SpecificRecordBase record;
    switch (channel) {
      case "push" -> {
        topic = "notification.push.v1";
        boolean fcm = platform.equals("FCM");
        PushDeliveryRequested push = new PushDeliveryRequested();
        push.setDeviceToken(fcm ? "bench-token-" + i : simulators + "/wpush/v2/bench-" + (i % 997));
        push.setPlatform(platform);
        push.setTitle("Build " + i + " passed");
        push.setBody("main is green");
        push.setCategory("builds");
        push.setData(Map.of());
        if (!fcm) {
          push.setWebPush(
              new WebPushKeys(
                  credentials.get("demo-subscription.p256dh"),
                  credentials.get("demo-subscription.auth")));
        } else {
          tally.fcmProduced.incrementAndGet();
          tally.fcmDeliveries.add(deliveryId);
        }
        record = push;
      }
      case "whatsapp" -> {
        topic = "notification.whatsapp.v1";
        WhatsAppDeliveryRequested whatsApp = new WhatsAppDeliveryRequested();
        whatsApp.setPhoneNumber("+1555" + String.format("%07d", i % 10_000_000));
        whatsApp.setText("Your order " + i + " shipped");
        whatsApp.setParameters(List.of());
        whatsApp.setCategory("orders");
        record = whatsApp;
      }
      case "email" -> {
        topic = "notification.email.v1";
        EmailDeliveryRequested email = new EmailDeliveryRequested();
        email.setTo(user + "@bench.example");
        email.setSubject("Receipt " + i);
        email.setTextBody("Thank you");
        email.setCategory("receipts");
        record = email;
      }
      default -> throw new IllegalArgumentException("channel is push, whatsapp or email");
    }
    io.herald.support.events.DeliveryEvents.stamp(
        record,
        UUID.randomUUID().toString(),
        tally.tenant,
        now,
        deliveryId,
        UUID.randomUUID().toString(),
        user);
    tally.created.put(deliveryId, now.toEpochMilli());
    producer.send(new ProducerRecord<>(topic, user, record));
  }

  /** What the status topic said about one run's deliveries. */
  private static final class Tally {
    final String tenant;
    final Map<String, Long> created = new ConcurrentHashMap<>();
    final Map<String, Long> sent = new ConcurrentHashMap<>();
    final Set<String> failedFinal = ConcurrentHashMap.newKeySet();
    final Set<String> fcmDeliveries = ConcurrentHashMap.newKeySet();
    final AtomicLong fcmProduced = new AtomicLong();
    final AtomicLong fcmSent = new AtomicLong();
    final AtomicLong webPushSent = new AtomicLong();
    volatile long lastSentAt;

    Tally(String tenant) {
      this.tenant = tenant;
    }

    void accept(SpecificRecord status) {
      if (status instanceof DeliverySent s && tenant.equals(s.getTenantId())) {
        long at = s.getOccurredAt().toEpochMilli();
        if (sent.putIfAbsent(s.getDeliveryId(), at) == null) {
          lastSentAt = Math.max(lastSentAt, at);
          if (s.getProvider().equals("fcm")) {
            fcmSent.incrementAndGet();
          } else if (s.getProvider().equals("webpush")) {
            webPushSent.incrementAndGet();
          }
        }
      } else if (status instanceof DeliveryFailed f
          && tenant.equals(f.getTenantId())
          && f.getFinal$()) {
        failedFinal.add(f.getDeliveryId());
      }
    }

    long done() {
      return sent.size() + failedFinal.size();
    }

    Instant lastSent() {
      return Instant.ofEpochMilli(lastSentAt);
    }

    List<Long> latencies() {
      List<Long> out = new ArrayList<>(sent.size());
      sent.forEach(
          (id, at) -> {
            Long from = created.get(id);
            if (from != null) {
              out.add(at - from);
            }
          });
      Collections.sort(out);
      return out;
    }
  }

  /** Reads the status topic from its current end on a thread of its own. */
  private final class StatusWatcher implements AutoCloseable {
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Tally tally;

    StatusWatcher(Tally tally) throws InterruptedException {
      this.tally = tally;
      Map<String, Object> config =
          new HashMap<>(
              RegistrySerde.consumerProperties(
                  "http://127.0.0.1:" + ports.registry() + "/apis/registry/v3"));
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports.kafka());
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
      KafkaConsumer<String, Object> consumer =
          new KafkaConsumer<>(config, new StringDeserializer(), avro());
      List<TopicPartition> partitions =
          consumer.partitionsFor(STATUS, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(STATUS, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
      this.thread =
          new Thread(
              () -> {
                try (consumer) {
                  while (running.get()) {
                    for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(200))) {
                      if (r.value() instanceof SpecificRecord status) {
                        tally.accept(status);
                      }
                    }
                  }
                }
              },
              "status-watcher");
      thread.start();
    }

    void awaitAll(int n, Duration timeout) throws InterruptedException {
      Instant deadline = Instant.now().plus(timeout);
      while (tally.done() < n && Instant.now().isBefore(deadline)) {
        Thread.sleep(100);
      }
      if (tally.done() < n) {
        throw new PlatformException(
            "only " + tally.done() + " of " + n + " deliveries were reported in " + timeout);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private AvroKafkaDeserializer<Object> avro() {
    AvroKafkaDeserializer<Object> avro = new AvroKafkaDeserializer<>();
    avro.configure(
        (Map)
            RegistrySerde.consumerProperties(
                "http://127.0.0.1:" + ports.registry() + "/apis/registry/v3"),
        false);
    return avro;
  }

  /** Paces a loop to {@code perSecond} iterations; 0 does not pace. */
  private static final class Pacer {
    private final int perSecond;
    private final long start = System.nanoTime();

    Pacer(int perSecond) {
      this.perSecond = perSecond;
    }

    void await(int i) throws InterruptedException {
      if (perSecond <= 0) {
        return;
      }
      long due = start + (long) i * 1_000_000_000L / perSecond;
      long wait = due - System.nanoTime();
      if (wait > 1_000_000) {
        Thread.sleep(wait / 1_000_000);
      }
    }
  }

  private static String provider(String channel) {
    return switch (channel) {
      case "push" -> "fcm";
      case "webpush" -> "webpush";
      case "whatsapp" -> "whatsapp";
      default -> "sendgrid";
    };
  }

  /** Makes the channel's simulator answer its accepted sends after {@code millis}. */
  private void delay(String channel, int millis) throws IOException {
    String file =
        switch (channel) {
          case "push" -> "fcm-send.json";
          case "whatsapp" -> "whatsapp-send-message.json";
          default -> "sendgrid-mail-send.json";
        };
    List<String> files =
        channel.equals("push") || channel.equals("webpush")
            ? List.of("fcm-send.json", "webpush-push-service.json")
            : List.of(file);
    int n = 0;
    for (String f : files) {
      ObjectNode stub =
          (ObjectNode)
              JSON.readTree(Files.readString(simulatorsDir.resolve("mappings").resolve(f)));
      stub.put("id", delayStubId(n++));
      stub.put("priority", 2);
      // Matched on method and path alone: body and header matching would cost the simulator more
      // CPU than the worker spends on a delivery.
      ObjectNode request = (ObjectNode) stub.path("request");
      request.remove("bodyPatterns");
      request.remove("headers");
      ObjectNode response = (ObjectNode) stub.path("response");
      response.put("fixedDelayMilliseconds", millis);
      // A fixed answer: templating every response would make the simulator the bottleneck.
      response.remove("transformers");
      if (f.startsWith("fcm")) {
        response.putObject("jsonBody").put("name", "projects/herald-local/messages/0:bench");
      } else if (f.startsWith("whatsapp")) {
        response.remove("jsonBody");
        response.put(
            "body", "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.bench\"}]}");
      } else if (f.startsWith("webpush")) {
        response.putObject("headers").put("Location", simulators + "/wpush/m/bench");
      } else {
        response.putObject("headers").put("X-Message-Id", "bench");
      }
      Http.post(
          simulators + "/__admin/mappings",
          JSON.writeValueAsString(stub),
          "Content-Type",
          "application/json");
    }
  }

  private void failureMode(String file) {
    try {
      Http.post(
          simulators + "/__admin/mappings",
          Files.readString(simulatorsDir.resolve("failure-modes").resolve(file)),
          "Content-Type",
          "application/json");
    } catch (IOException e) {
      throw new PlatformException("cannot switch the simulator to " + file + ": " + e.getMessage());
    }
  }

  /** Removes a stub by id; the delay stub is two stubs (FCM and Web Push share it). */
  private void removeStub(String id) {
    List<String> ids =
        id.equals(DELAY_STUB) ? List.of(delayStubId(0), delayStubId(1)) : List.of(id);
    for (String stub : ids) {
      try {
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(simulators + "/__admin/mappings/" + stub))
                    .DELETE()
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
      } catch (IOException | InterruptedException e) {
        // the stub may already be gone
      }
    }
  }

  private static String delayStubId(int n) {
    return DELAY_STUB.substring(0, DELAY_STUB.length() - 1) + n;
  }

  private void resetReceipts() throws IOException {
    java.net.http.HttpRequest request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(simulators + "/__admin/herald/receipts"))
            .DELETE()
            .build();
    try {
      java.net.http.HttpClient.newHttpClient()
          .send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Map<String, Long> receipts(String provider) throws IOException {
    var node = JSON.readTree(Http.get(simulators + "/__admin/herald/receipts")).path(provider);
    Map<String, Long> out = new HashMap<>();
    for (String field : List.of("accepted", "distinct", "duplicates")) {
      out.put(field, node.path(field).asLong(0));
    }
    return out;
  }

  private static final Pattern OPEN =
      Pattern.compile(
          "resilience4j_circuitbreaker_state\\{[^}]*name=\"fcm\"[^}]*state=\"open\"[^}]*} ([0-9.]+)");

  private String circuitState() {
    try {
      String metrics = Http.get("http://127.0.0.1:" + ports.pushWorker() + "/actuator/prometheus");
      Matcher m = OPEN.matcher(metrics);
      return m.find() && Double.parseDouble(m.group(1)) > 0 ? "open" : "closed";
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  static long percentile(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int index = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }
}
