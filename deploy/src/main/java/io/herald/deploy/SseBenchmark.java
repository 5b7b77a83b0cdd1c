package io.herald.deploy;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./herald bench sse [CONNECTIONS] [RATE] [SECONDS] [RUNS] [WARMUP]}: live inbox streams on
 * the running local platform. Opens {@code CONNECTIONS} streams (10,000 by default), one per user
 * of the tenant {@code bench-sse}, straight to notification-service (the instance under test, as a
 * load balancer routes {@code /api/notifications/stream}), and reports that instance's heap and RSS
 * with all of them open. Then, {@code RUNS} times (3), sends {@code RATE} notifications a second
 * (500) for {@code SECONDS} (30) through the gateway, each to one user chosen round-robin, and
 * measures POST to SSE: from just before the POST is sent to the moment its {@code inbox-item}
 * event is read off that user's stream. Prints p50, p99 and max per run, and the streams that
 * missed an item. Before the first run it warms up for {@code WARMUP} seconds (120), not counted,
 * rising from a tenth of the rate to the rate: a just-started platform's JVMs are still compiling
 * the path, and the full rate at once measures the compiler and the backlog it leaves.
 *
 * <p>The streams are read by one thread over non-blocking sockets (a few kilobytes per connection
 * on this side), so the client measures the server, not itself.
 */
final class SseBenchmark {

  private static final String TENANT = "bench-sse";
  private static final Pattern TITLE = Pattern.compile("\"title\":\"sse-(\\d+)\"");
  private static final Pattern CREATED = Pattern.compile("\"createdAt\":\"([^\"]+)\"");

  private SseBenchmark() {}

  static void run(Path home, String[] args) throws Exception {
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
    int runs = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    int warmUp = args.length > 5 ? Integer.parseInt(args[5]) : 120;
    Ports ports = Ports.defaults();
    seedSubscribers(ports, connections);
    byte[] secret =
        Files.readString(home.resolve("jwt-secret")).trim().getBytes(StandardCharsets.UTF_8);
    TokenIssuer issuer = new TokenIssuer(secret, Clock.systemUTC());

    long pid = notificationServicePid();
    Memory idle = memory(pid, ports);
    System.out.printf(
        "[bench] notification-service (pid %d, %s) before: %s%n", pid, jvmFlags(pid), idle);

    int maxSends = rate * seconds * runs + rate * (warmUp + 5);
    AtomicLongArray sentAt = new AtomicLongArray(maxSends);
    AtomicLongArray receivedAt = new AtomicLongArray(maxSends);
    // Wall-clock times, to split the latency at the moment the fan-out stored the item.
    AtomicLongArray sentAtMillis = new AtomicLongArray(maxSends);
    AtomicLongArray storedAtMillis = new AtomicLongArray(maxSends);
    AtomicLongArray receivedAtMillis = new AtomicLongArray(maxSends);
    Streams streams =
        new Streams(ports.notification(), receivedAt, storedAtMillis, receivedAtMillis);
    long connectStart = System.nanoTime();
    for (int i = 0; i < connections; i++) {
      streams.open(
          issuer.issue(
              new HeraldPrincipal(TENANT, user(i), List.of(), List.of()), Duration.ofHours(2)));
      // At most 500 handshakes in flight: the accept queue is not the subject.
      while (streams.opened() - streams.connected() - streams.failed() > 500) {
        streams.poll(5);
      }
    }
    while (streams.connected() + streams.failed() < connections) {
      streams.poll(50);
      if (System.nanoTime() - connectStart > TimeUnit.MINUTES.toNanos(5)) {
        throw new IllegalStateException(
            streams.connected() + " of " + connections + " streams connected in 5 minutes");
      }
    }
    System.out.printf(
        "[bench] %,d streams connected in %.1f s (%d refused); the service counts %s open%n",
        streams.connected(),
        (System.nanoTime() - connectStart) / 1e9,
        streams.failed(),
        gauge(ports, "herald_notification_inbox_streams_open"));
    // Each stream is set up once its first counts arrived (read from the database at connect).
    long settleStart = System.nanoTime();
    while (streams.counted() < streams.connected()
        && System.nanoTime() - settleStart < TimeUnit.MINUTES.toNanos(5)) {
      streams.poll(50);
    }
    System.out.printf(
        "[bench] %,d streams had their first counts %.1f s later%n",
        streams.counted(), (System.nanoTime() - settleStart) / 1e9);
    Thread reader = new Thread(() -> streams.readUntilClosed(), "sse-reader");
    reader.setDaemon(true);
    reader.start();
    Memory open = memory(pid, ports);
    System.out.printf("[bench] with %,d streams open: %s%n", streams.connected(), open);

    HttpClient http =
        HttpClient.newBuilder()
            // Plain HTTP/1.1 with kept-alive connections: no h2c upgrade offered on each new one.
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(
                Executors.newFixedThreadPool(
                    8,
                    task -> {
                      Thread thread = new Thread(task, "sse-bench-http");
                      thread.setDaemon(true); // the benchmark's end ends the JVM
                      return thread;
                    }))
            .build();
    String sender =
        issuer.issue(
            new HeraldPrincipal(TENANT, "bench-sender", List.of("sender"), List.of()),
            Duration.ofHours(2));
    String gateway = "http://127.0.0.1:" + ports.gateway();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    // Warm-up at the rate, not counted; then the backlog it may have left drains.
    AtomicInteger refusedInWarmUp = new AtomicInteger();
    Sender notifications =
        new Sender(http, gateway, sender, connections, rate, next, sentAt, sentAtMillis);
    notifications.send(warmUp, true, refusedInWarmUp);
    Thread.sleep(5_000);
    System.out.printf(
        "[bench] warm-up: %,d notifications in %d s, %d POSTs refused%n",
        next.get(), warmUp, refusedInWarmUp.get());
    List<double[]> figures = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      int first = next.get();
      notifications.send(seconds, false, refused);
      int last = next.get();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (received(receivedAt, first, last) < last - first && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      double[] millis = latencies(sentAt, receivedAt, first, last);
      int missed = (last - first) - millis.length;
      Arrays.sort(millis);
      double[] result = {
        percentile(millis, 0.50), percentile(millis, 0.99), millis[millis.length - 1], missed
      };
      figures.add(result);
      double[] toStore = split(sentAtMillis, storedAtMillis, first, last);
      double[] toClient = split(storedAtMillis, receivedAtMillis, first, last);
      System.out.printf(
          "[bench] run %d split at the item's createdAt: POST -> stored p50 %.0f ms, p99 %.0f ms;"
              + " stored -> SSE p50 %.0f ms, p99 %.0f ms%n",
          run,
          percentile(toStore, 0.50),
          percentile(toStore, 0.99),
          percentile(toClient, 0.50),
          percentile(toClient, 0.99));
      System.out.printf(
          "[bench] run %d: %,d notifications at %d/s over %,d streams: POST -> SSE p50 %.1f ms,"
              + " p99 %.1f ms, max %.1f ms; %d not received within 15 s%n",
          run, last - first, rate, streams.connected(), result[0], result[1], result[2], missed);
    }
    Memory after = memory(pid, ports);
    System.out.printf("[bench] after the runs: %s%n", after);
    double[] p99s = figures.stream().mapToDouble(f -> f[1]).sorted().toArray();
    double[] p50s = figures.stream().mapToDouble(f -> f[0]).sorted().toArray();
    System.out.printf(
        "[bench] median of %d runs: p50 %.1f ms, p99 %.1f ms (%,d streams, %d notifications/s;"
            + " %d POSTs refused); heap used %d MB after GC of %d MB max, RSS %d MB%n",
        runs,
        p50s[p50s.length / 2],
        p99s[p99s.length / 2],
        streams.connected(),
        rate,
        refused.get(),
        open.heapAfterGcMb(),
        open.heapMaxMb(),
        open.rssMb());
    streams.close();
  }

  /**
   * POSTs notifications through the gateway, each to the next of {@code users} in turn, recording
   * when each was sent.
   */
  private record Sender(
      HttpClient http,
      String gateway,
      String token,
      int users,
      int rate,
      AtomicInteger next,
      AtomicLongArray sentAt,
      AtomicLongArray sentAtMillis) {

    /**
     * Sends at {@code rate} a second for {@code seconds}; with {@code rampUp}, from a tenth of the
     * rate rising evenly to the rate.
     */
    void send(int seconds, boolean rampUp, AtomicInteger refused) throws InterruptedException {
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
      // A ramp goes from a tenth of the rate to the rate: what was sent by t is the integral.
      long total = rampUp ? (long) (rate * seconds * 0.55) : (long) rate * seconds;
      AtomicInteger sent = new AtomicInteger();
      long start = System.nanoTime();
      ticker.scheduleAtFixedRate(
          () -> {
            // Every 10 ms, as many as are due by now: the rate holds whatever it divides into.
            double t = (System.nanoTime() - start) / 1e9;
            double dueNow = rampUp ? rate * (0.1 * t + 0.45 * t * t / seconds) : rate * t;
            long due = Math.min(total, (long) dueNow);
            for (; sent.get() < due; sent.incrementAndGet()) {
              int n = next.getAndIncrement();
              String body =
                  "{\"recipients\":{\"userIds\":[\""
                      + user(n % users)
                      + "\"]},\"channels\":[\"IN_APP\"],\"category\":\"account\",\"title\":\"sse-"
                      + n
                      + "\",\"body\":\"Live inbox benchmark.\"}";
              HttpRequest request =
                  HttpRequest.newBuilder(URI.create(gateway + "/api/notifications"))
                      .header("Authorization", "Bearer " + token)
                      .header("Content-Type", "application/json")
                      .timeout(Duration.ofSeconds(10))
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build();
              sentAtMillis.set(n, System.currentTimeMillis());
              sentAt.set(n, System.nanoTime());
              http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                  .whenComplete(
                      (response, error) -> {
                        if (error != null || response.statusCode() != 202) {
                          refused.incrementAndGet();
                        }
                      });
            }
          },
          0,
          10,
          TimeUnit.MILLISECONDS);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) + 1_000_000_000L;
      while (sent.get() < total && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      ticker.shutdownNow();
    }
  }

  private static int received(AtomicLongArray receivedAt, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (receivedAt.get(i) != 0) {
        n++;
      }
    }
    return n;
  }

  private static double[] latencies(
      AtomicLongArray sentAt, AtomicLongArray receivedAt, int from, int to) {
    double[] millis = new double[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      long received = receivedAt.get(i);
      if (received != 0) {
        millis[n++] = (received - sentAt.get(i)) / 1e6;
      }
    }
    return Arrays.copyOf(millis, n);
  }

  /** {@code to - from} in milliseconds where both are known, sorted. */
  private static double[] split(AtomicLongArray from, AtomicLongArray to, int first, int last) {
    double[] millis = new double[last - first];
    int n = 0;
    for (int i = first; i < last; i++) {
      if (from.get(i) != 0 && to.get(i) != 0) {
        millis[n++] = to.get(i) - from.get(i);
      }
    }
    double[] known = Arrays.copyOf(millis, n);
    Arrays.sort(known);
    return known;
  }

  private static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  /** The benchmark's users, straight into the subscriber table (once; kept for later runs). */
  private static void seedSubscribers(Ports ports, int users) throws Exception {
    try (Connection db =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + ports.postgres() + "/notification",
                "postgres",
                "");
        Statement s = db.createStatement()) {
      int added =
          s.executeUpdate(
              "INSERT INTO subscribers (tenant_id, user_id) SELECT '"
                  + TENANT
                  + "', 'u' || lpad(g::text, 5, '0') FROM generate_series(0, "
                  + (users - 1)
                  + ") g ON CONFLICT DO NOTHING");
      System.out.printf("[bench] %,d users in tenant %s (%,d added)%n", users, TENANT, added);
    }
  }

  private static String user(int n) {
    return String.format("u%05d", n);
  }

  // ---- the instance under test ---------------------------------------------------------------

  /** Heap after a full collection, the heap's maximum, and the resident set of the process. */
  record Memory(long heapAfterGcMb, long heapMaxMb, long rssMb) {
    @Override
    public String toString() {
      return "heap used "
          + heapAfterGcMb
          + " MB after GC (max "
          + heapMaxMb
          + " MB), RSS "
          + rssMb
          + " MB";
    }
  }

  private static Memory memory(long pid, Ports ports) throws Exception {
    new ProcessBuilder("jcmd", Long.toString(pid), "GC.run")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(60, TimeUnit.SECONDS);
    double used = metric(ports, "jvm_memory_used_bytes", "area=\"heap\"");
    double max = metric(ports, "jvm_memory_max_bytes", "area=\"heap\"");
    long rssKb = 0;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        rssKb = Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return new Memory((long) (used / 1_048_576), (long) (max / 1_048_576), rssKb / 1024);
  }

  /**
   * The sum of a metric's series on the instance's Prometheus endpoint, those whose labels include
   * {@code label} when given (e.g. {@code area="heap"} sums the heap's pools).
   */
  private static double metric(Ports ports, String name, String label) throws Exception {
    String body = Http.get("http://127.0.0.1:" + ports.notification() + "/actuator/prometheus");
    double sum = 0;
    for (String line : body.split("\n")) {
      if (line.startsWith(name + "{") && (label == null || line.contains(label))) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private static String gauge(Ports ports, String name) {
    try {
      return String.format("%,.0f", metric(ports, name, null));
    } catch (Exception e) {
      return "?";
    }
  }

  private static long notificationServicePid() {
    return ProcessHandle.allProcesses()
        .filter(
            p ->
                p.info().commandLine().orElse("").contains("notification-service")
                    && p.info().command().orElse("").endsWith("java"))
        .map(ProcessHandle::pid)
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("notification-service is not running: ./herald run"));
  }

  private static String jvmFlags(long pid) {
    Optional<String[]> arguments = ProcessHandle.of(pid).flatMap(p -> p.info().arguments());
    return arguments
        .map(a -> String.join(" ", Arrays.stream(a).filter(s -> s.startsWith("-X")).toList()))
        .orElse("flags unknown");
  }

  // ---- the client: every stream on one selector ----------------------------------------------

  /** SSE connections on non-blocking sockets, read by one thread. */
  private static final class Streams implements AutoCloseable {

    private final Selector selector;
    private final int port;
    private final AtomicLongArray receivedAt;
    private final AtomicLongArray storedAtMillis;
    private final AtomicLongArray receivedAtMillis;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
    private int opened;
    private int connected;
    private int failed;
    private int counted;
    private volatile boolean closing;

    Streams(
        int port,
        AtomicLongArray receivedAt,
        AtomicLongArray storedAtMillis,
        AtomicLongArray receivedAtMillis)
        throws IOException {
      this.selector = Selector.open();
      this.port = port;
      this.receivedAt = receivedAt;
      this.storedAtMillis = storedAtMillis;
      this.receivedAtMillis = receivedAtMillis;
    }

    int opened() {
      return opened;
    }

    int connected() {
      return connected;
    }

    int failed() {
      return failed;
    }

    int counted() {
      return counted;
    }

    void open(String token) throws IOException {
      SocketChannel channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.connect(new InetSocketAddress("127.0.0.1", port));
      byte[] request =
          ("GET /api/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Accept: text/event-stream\r\nAuthorization: Bearer "
                  + token
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      channel.register(selector, SelectionKey.OP_CONNECT, new Stream(ByteBuffer.wrap(request)));
      opened++;
    }

    void poll(long millis) {
      try {
        selector.select(millis);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        handle(key);
      }
    }

    void readUntilClosed() {
      try {
        while (!closing) {
          poll(100);
        }
      } catch (java.nio.channels.ClosedSelectorException e) {
        // closed at the end of the benchmark
      }
    }

    private void handle(SelectionKey key) {
      SocketChannel channel = (SocketChannel) key.channel();
      Stream stream = (Stream) key.attachment();
      try {
        if (key.isConnectable()) {
          channel.finishConnect();
          key.interestOps(SelectionKey.OP_WRITE);
        }
        if (key.isValid() && key.isWritable()) {
          channel.write(stream.request);
          if (!stream.request.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ);
          }
        }
        if (key.isValid() && key.isReadable()) {
          buffer.clear();
          int n = channel.read(buffer);
          if (n < 0) {
            throw new IOException("closed by the server");
          }
          buffer.flip();
          byte[] bytes = new byte[buffer.remaining()];
          buffer.get(bytes);
          long now = System.nanoTime();
          boolean wasConnected = stream.connected;
          boolean wasCounted = stream.counted;
          stream.feed(bytes, now, this);
          if (!wasConnected && stream.connected) {
            connected++;
          }
          if (!wasCounted && stream.counted) {
            counted++;
          }
        }
      } catch (IOException | RuntimeException e) {
        key.cancel();
        try {
          channel.close();
        } catch (IOException ignored) {
          // closing anyway
        }
        if (!stream.connected) {
          failed++;
        } else {
          connected--;
          failed++;
        }
      }
    }

    @Override
    public void close() throws IOException {
      closing = true;
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
      selector.close();
    }
  }

  /**
   * One stream's parser: the status line and headers, then the chunked body, then the events; an
   * {@code inbox-item} titled {@code sse-N} marks notification N received.
   */
  private static final class Stream {

    final ByteBuffer request;
    boolean connected;
    boolean counted;
    private boolean inBody;
    private boolean chunked;
    private long chunkLeft = -1; // -1: a size line is next
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final ByteArrayOutputStream events = new ByteArrayOutputStream(1024);

    Stream(ByteBuffer request) {
      this.request = request;
    }

    void feed(byte[] bytes, long now, Streams all) {
      int i = 0;
      while (i < bytes.length) {
        if (!inBody) {
          byte b = bytes[i++];
          line.write(b);
          int size = line.size();
          byte[] head = line.toByteArray();
          if (size >= 4
              && head[size - 4] == '\r'
              && head[size - 3] == '\n'
              && head[size - 2] == '\r'
              && head[size - 1] == '\n') {
            String headers = new String(head, StandardCharsets.ISO_8859_1);
            if (!headers.startsWith("HTTP/1.1 200")) {
              throw new IllegalStateException(headers.lines().findFirst().orElse(""));
            }
            chunked = headers.toLowerCase().contains("transfer-encoding: chunked");
            inBody = true;
            connected = true;
            line.reset();
          }
          continue;
        }
        if (!chunked) {
          event(bytes, i, bytes.length - i, now, all);
          return;
        }
        if (chunkLeft < 0) {
          byte b = bytes[i++];
          if (b == '\n') {
            String size = line.toString(StandardCharsets.US_ASCII).trim();
            line.reset();
            if (!size.isEmpty()) {
              chunkLeft = Long.parseLong(size.split(";")[0], 16);
            }
          } else {
            line.write(b);
          }
          continue;
        }
        int take = (int) Math.min(chunkLeft, bytes.length - i);
        event(bytes, i, take, now, all);
        i += take;
        chunkLeft -= take;
        if (chunkLeft == 0) {
          chunkLeft = -1; // the CRLF after the chunk is read as an empty size line
        }
      }
    }

    /** Collects body bytes and takes each complete event (ending in a blank line). */
    private void event(byte[] bytes, int from, int length, long now, Streams all) {
      events.write(bytes, from, length);
      String text = events.toString(StandardCharsets.UTF_8);
      int end = text.lastIndexOf("\n\n");
      if (end < 0) {
        return;
      }
      if (!counted && text.contains("event:inbox-counts")) {
        counted = true;
      }
      long wall = System.currentTimeMillis();
      for (String event : text.substring(0, end).split("\n\n")) {
        Matcher title = TITLE.matcher(event);
        if (!title.find()) {
          continue;
        }
        int n = Integer.parseInt(title.group(1));
        if (n < all.receivedAt.length() && all.receivedAt.compareAndSet(n, 0, now)) {
          all.receivedAtMillis.set(n, wall);
          Matcher created = CREATED.matcher(event);
          if (created.find()) {
            all.storedAtMillis.set(n, java.time.Instant.parse(created.group(1)).toEpochMilli());
          }
        }
      }
      byte[] rest = text.substring(end + 2).getBytes(StandardCharsets.UTF_8);
      events.reset();
      events.write(rest, 0, rest.length);
    }
  }
}
