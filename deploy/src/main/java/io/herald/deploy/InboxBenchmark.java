package io.herald.deploy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * {@code ./herald bench inbox [ITEMS] [SAMPLES]}: inbox reads on a table of {@code ITEMS} items
 * (10,000,000 by default) spread over 10,000 users of the tenant {@code bench-inbox}, against the
 * running local platform. Seeds the items once (kept for later runs), prints the plans of the page
 * and counts statements, then times {@code SAMPLES} sequential requests (2,000 by default) of each
 * kind for random users, through the gateway: the first page, a page deep in the user's inbox (a
 * cursor 90% down), and the counts. Prints p50, p99 and max per kind.
 */
final class InboxBenchmark {

  private static final String TENANT = "bench-inbox";
  private static final int USERS = 10_000;
  private static final int SEED_CHUNK = 1_000_000;

  private InboxBenchmark() {}

  static void run(Path home, String[] args) throws Exception {
    long items = args.length > 1 ? Long.parseLong(args[1]) : 10_000_000L;
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    Ports ports = Ports.defaults();
    String gateway = "http://127.0.0.1:" + ports.gateway();
    long perUser = items / USERS;
    try (Connection db =
        DriverManager.getConnection(
            "jdbc:postgresql://127.0.0.1:" + ports.postgres() + "/notification", "postgres", "")) {
      seed(db, perUser);
      explain(db, perUser);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Random random = new Random(42);
    String[] kinds = {"first page", "deep page", "counts"};
    for (String kind : kinds) {
      // Warm-up: the JIT and the connection pools, not the figures.
      time(http, home, gateway, kind, perUser, random, 300);
      List<Double> millis = time(http, home, gateway, kind, perUser, random, samples);
      Collections.sort(millis);
      System.out.printf(
          "[bench] inbox %s (%,d items, %,d users, %d sequential requests through the gateway):"
              + " p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          kind,
          perUser * USERS,
          USERS,
          samples,
          percentile(millis, 0.50),
          percentile(millis, 0.99),
          millis.get(millis.size() - 1));
    }
  }

  private static List<Double> time(
      HttpClient http,
      Path home,
      String gateway,
      String kind,
      long perUser,
      Random random,
      int count)
      throws Exception {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String user = user(random.nextInt(USERS));
      tokens.add(HeraldLocal.token(home, new String[] {user, "--tenant", TENANT}));
    }
    List<Double> millis = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String token = tokens.get(random.nextInt(tokens.size()));
      String path =
          switch (kind) {
            case "first page" -> "/api/notifications?limit=20";
            case "deep page" -> "/api/notifications?limit=20&cursor=" + deepCursor(perUser);
            default -> "/api/notifications/counts";
          };
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(gateway + path))
              .header("Authorization", "Bearer " + token)
              .timeout(Duration.ofSeconds(10))
              .build();
      long start = System.nanoTime();
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      millis.add((System.nanoTime() - start) / 1e6);
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            path + " answered " + response.statusCode() + ": " + new String(response.body()));
      }
    }
    return millis;
  }

  /**
   * A cursor 90% down every user's inbox: items are seeded one second apart per user, newest at the
   * seed's base time, so the position is the same instant for all of them.
   */
  private static String deepCursor(long perUser) {
    Instant at = BASE.minusSeconds((long) (perUser * 0.9));
    String raw = at.getEpochSecond() + "." + at.getNano() + "|ffffffff-ffff-ffff-ffff-ffffffffffff";
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");

  private static void seed(Connection db, long perUser) throws SQLException {
    long have;
    try (Statement s = db.createStatement();
        ResultSet r =
            s.executeQuery("SELECT count(*) FROM inbox_items WHERE tenant_id = '" + TENANT + "'")) {
      r.next();
      have = r.getLong(1);
    }
    long want = perUser * USERS;
    if (have == want) {
      System.out.printf("[bench] %,d inbox items of %s already seeded%n", have, TENANT);
      return;
    }
    System.out.printf("[bench] seeding %,d inbox items (%,d per user)...%n", want, perUser);
    Instant begin = Instant.now();
    try (Statement s = db.createStatement()) {
      s.execute("DELETE FROM inbox_items WHERE tenant_id = '" + TENANT + "'");
      // Users are cut into ranges so that each statement writes about a million rows.
      int usersPerChunk = (int) Math.max(1, SEED_CHUNK / perUser);
      for (int from = 0; from < USERS; from += usersPerChunk) {
        int to = Math.min(USERS, from + usersPerChunk) - 1;
        s.execute(
            "INSERT INTO inbox_items (id, tenant_id, user_id, notification_id, category, title,"
                + " body, created_at, read_at, seen_at)"
                + " SELECT gen_random_uuid(), '"
                + TENANT
                + "', 'u' || lpad(u::text, 5, '0'), gen_random_uuid()::text,"
                + " (ARRAY['account','billing','social','news'])[1 + (i % 4)],"
                + " 'Title ' || i, 'A notification body of a typical length for an inbox item.',"
                + " TIMESTAMPTZ '"
                + BASE
                + "' - make_interval(secs => i),"
                + " CASE WHEN i > 5 THEN TIMESTAMPTZ '"
                + BASE
                + "' END, CASE WHEN i > 3 THEN TIMESTAMPTZ '"
                + BASE
                + "' END"
                + " FROM generate_series("
                + from
                + ", "
                + to
                + ") u, generate_series(0, "
                + (perUser - 1)
                + ") i");
        System.out.printf("[bench]   users %d..%d%n", from, to);
      }
      s.execute("VACUUM ANALYZE inbox_items");
    }
    System.out.printf(
        "[bench] seeded in %d s%n", Duration.between(begin, Instant.now()).toSeconds());
  }

  /** The plans of the statements the inbox API issues for these reads. */
  private static void explain(Connection db, long perUser) throws SQLException {
    String user = user(4242);
    Instant deep = BASE.minusSeconds((long) (perUser * 0.9));
    String columns =
        "id, notification_id, category, title, body, data, created_at, read_at, seen_at,"
            + " archived_at";
    String where =
        " FROM inbox_items WHERE tenant_id = '"
            + TENANT
            + "' AND user_id = '"
            + user
            + "' AND archived_at IS NULL";
    List<String> statements =
        List.of(
            "SELECT " + columns + where + " ORDER BY created_at DESC, id DESC LIMIT 21",
            "SELECT "
                + columns
                + where
                + " AND (created_at, id) < (TIMESTAMPTZ '"
                + deep
                + "', 'ffffffff-ffff-ffff-ffff-ffffffffffff')"
                + " ORDER BY created_at DESC, id DESC LIMIT 21",
            "SELECT count(*) FILTER (WHERE read_at IS NULL) AS unread,"
                + " count(*) FILTER (WHERE seen_at IS NULL) AS unseen, count(*) AS total"
                + where);
    try (Statement s = db.createStatement()) {
      for (String sql : statements) {
        System.out.println("[bench] EXPLAIN (ANALYZE, BUFFERS) " + sql);
        try (ResultSet r = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) " + sql)) {
          while (r.next()) {
            System.out.println("[bench]   " + r.getString(1));
          }
        }
      }
    }
  }

  private static String user(int n) {
    return String.format("u%05d", n);
  }

  private static double percentile(List<Double> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }
}
