package io.herald.notification.digests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.ServiceProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A digest run of 3,000 users (three items each) by notification-service as its own process, killed
 * with SIGKILL mid-run and then finished by two instances at once (one of them the killed instance
 * started again, which fences its predecessor's open transaction): every user gets exactly one
 * digest e-mail on the topic (read_committed), with all three items, and one recorded digest.
 */
class DigestCrashIT {

  private static final int USERS = 3_000;
  private static final String DATABASE = "digest_crash";
  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();

  private static EmbeddedKafkaKraftBroker broker;

  private final String tenant = "digest-crash-" + UUID.randomUUID();
  private final List<Process> started = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();

  @BeforeAll
  static void startBroker() throws SQLException {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.brokerProperty("transaction.state.log.replication.factor", "1");
    broker.brokerProperty("transaction.state.log.min.isr", "1");
    broker.afterPropertiesSet();
    try (Connection c = PostgresTestDatabase.shared().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE);
      s.execute("CREATE DATABASE " + DATABASE);
    }
  }

  @AfterAll
  static void stopBroker() {
    broker.destroy();
  }

  @Test
  void shouldSendExactlyOneDigestPerUserWhenKilledMidRunAndWhenTwoInstancesRun() throws Exception {
    Process service = start("digest-crash-1");
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(this::schemaReady);
    seed(); // every user's daily digest due now

    await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(90))
        .until(() -> digests() > 0);
    service.destroyForcibly().waitFor(); // SIGKILL
    long atKill = digests();

    // The rest by two instances sharing the schedule: held back until both are up, so that both
    // take part.
    execute(
        "UPDATE digest_schedule SET due_at = now() + interval '1 hour' WHERE tenant_id = '"
            + tenant
            + "'");
    Path first = Path.of("target", "digest-crash-" + started.size() + ".log");
    start("digest-crash-1");
    Path second = Path.of("target", "digest-crash-" + started.size() + ".log");
    start("digest-crash-2");
    execute("UPDATE digest_schedule SET due_at = now() WHERE tenant_id = '" + tenant + "'");
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> digests() == USERS && scheduled() == 0);
    System.out.printf(
        "[DigestCrashIT] killed at %d of %d digests; rounds after: %d and %d%n",
        atKill, USERS, rounds(first), rounds(second));

    assertThat(atKill).as("the kill came mid-run").isLessThan(USERS);
    assertThat(rounds(first)).as("rounds of the first instance").isPositive();
    assertThat(rounds(second)).as("rounds of the second instance").isPositive();

    // What the users see: one digest e-mail each, committed once, listing their three items.
    List<EmailDeliveryRequested> emails = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              emails.clear();
              emails.addAll(
                  KafkaTestClients.readAllValues(
                      broker.getBrokersAsString(),
                      "notification.email.v1",
                      EmailDeliveryRequested.class,
                      e -> tenant.equals(e.getTenantId())));
              return emails.size() >= USERS;
            });
    assertThat(emails).hasSize(USERS);
    Map<String, Long> perUser =
        emails.stream()
            .collect(
                Collectors.groupingBy(EmailDeliveryRequested::getUserId, Collectors.counting()));
    assertThat(perUser).hasSize(USERS);
    assertThat(perUser.values()).containsOnly(1L);
    assertThat(emails.stream().map(EmailDeliveryRequested::getDeliveryId).distinct())
        .hasSize(USERS);
    assertThat(emails)
        .allSatisfy(
            e ->
                assertThat(e.getTextBody())
                    .contains("Item 1")
                    .contains("Item 2")
                    .contains("Item 3"));
    assertThat(count("SELECT count(*) FROM digests WHERE tenant_id = '" + tenant + "'"))
        .isEqualTo(USERS);
    assertThat(
            count("SELECT count(*) FROM digests WHERE tenant_id = '" + tenant + "' AND items <> 3"))
        .isZero();
    assertThat(count("SELECT count(*) FROM digest_items WHERE tenant_id = '" + tenant + "'"))
        .isZero();
  }

  /** Rounds that sent something, by the instance's log. */
  private static long rounds(Path log) throws IOException {
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains("Sent ") && !l.contains("Sent 0 digests")).count();
    }
  }

  private Process start(String instance) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", broker.getBrokersAsString());
    env.put("REGISTRY_URL", ApicurioRegistryServer.shared().url());
    env.put("HERALD_JWT_SECRET", SECRET);
    env.put("HERALD_INSTANCE_ID", instance);
    env.put("DATABASE_HOST", "127.0.0.1");
    env.put("DATABASE_PORT", Integer.toString(PostgresTestDatabase.shared().port()));
    env.put("DATABASE_NAME", DATABASE);
    env.put("DATABASE_USER", "postgres");
    env.put("DATABASE_PASSWORD", "postgres");
    Path log = Path.of("target", "digest-crash-" + started.size() + ".log");
    Process process =
        ServiceProcess.start(
            "target/notification-service.jar",
            List.of("-Xmx384m"),
            List.of("--herald.digests.batch-size=25", "--herald.digests.poll-interval=100ms"),
            env,
            log);
    started.add(process);
    logs.add(log);
    return process;
  }

  @AfterEach
  void stopProcesses() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly().waitFor();
    }
  }

  private boolean schemaReady() {
    try {
      return count("SELECT count(*) FROM digest_schedule") >= 0;
    } catch (SQLException e) {
      return false;
    }
  }

  private void seed() throws SQLException {
    try (Connection c = database();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO subscribers (tenant_id, user_id, email) SELECT '"
              + tenant
              + "', 'u' || lpad(i::text, 6, '0'), 'u' || i || '@digest.example'"
              + " FROM generate_series(1, "
              + USERS
              + ") AS i");
      s.execute(
          "INSERT INTO digest_items (tenant_id, user_id, frequency, notification_id, category,"
              + " channels, title, body, created_at)"
              + " SELECT tenant_id, user_id, 'DAILY', 'n' || j, 'news', '{EMAIL}', 'Item ' || j,"
              + " 'Body ' || j, now() FROM subscribers, generate_series(1, 3) AS j"
              + " WHERE tenant_id = '"
              + tenant
              + "'");
      s.execute(
          "INSERT INTO digest_schedule (tenant_id, user_id, frequency, due_at)"
              + " SELECT tenant_id, user_id, 'DAILY', now() FROM subscribers WHERE tenant_id = '"
              + tenant
              + "'");
    }
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = database();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private long digests() throws SQLException {
    return count("SELECT count(*) FROM digests WHERE tenant_id = '" + tenant + "'");
  }

  private long scheduled() throws SQLException {
    return count("SELECT count(*) FROM digest_schedule WHERE tenant_id = '" + tenant + "'");
  }

  private long count(String sql) throws SQLException {
    try (Connection c = database();
        Statement s = c.createStatement();
        ResultSet rows = s.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private Connection database() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + PostgresTestDatabase.shared().port() + "/" + DATABASE,
        "postgres",
        "postgres");
  }
}
