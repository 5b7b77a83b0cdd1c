package io.herald.notification.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.notification.TestRequests;
import io.herald.support.kafka.ConsumerGroupProgress;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.ServiceProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * notification-service as its own process, killed with SIGKILL twice in the middle of a
 * 20,000-recipient fan-out and started again: every recipient ends with exactly one inbox item, one
 * committed {@link InboxItemCreated} and one committed delivery per channel. Requests held for
 * later ({@code sendAt}) across the kills are delivered once each when due.
 */
class FanOutCrashIT {

  private static final int RECIPIENTS = 20_000;
  private static final int SCHEDULED = 500;
  private static final String DATABASE = "fanout_crash";
  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();

  private static EmbeddedKafkaKraftBroker broker;

  private final String tenant = "crash-" + UUID.randomUUID();
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void startBroker() throws SQLException {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.brokerProperty("transaction.state.log.replication.factor", "1");
    broker.brokerProperty("transaction.state.log.min.isr", "1");
    broker.afterPropertiesSet();
    broker.addTopics(new NewTopic("notification.requests.v1", 3, (short) 1));
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
  void shouldGiveEveryRecipientExactlyOneInboxItemAndDeliveryWhenKilledMidFanOut()
      throws Exception {
    Process service = start();
    seedRole(); // after the first start: the service creates the schema
    NotificationRequested request =
        TestRequests.request(
            tenant,
            List.of(),
            List.of("crowd"),
            List.of(Channel.IN_APP, Channel.EMAIL, Channel.PUSH));
    // Held for later: due while the service is being killed and started again.
    List<NotificationRequested> scheduled = new ArrayList<>();
    java.time.Instant due = java.time.Instant.now().plusSeconds(8);
    for (int i = 1; i <= SCHEDULED; i++) {
      NotificationRequested later =
          TestRequests.request(
              tenant, List.of(String.format("u%06d", i)), List.of(), List.of(Channel.IN_APP));
      later.setCategory("later");
      later.setSendAt(due.plusMillis(i * 10L));
      scheduled.add(later);
    }
    send(scheduled.toArray(NotificationRequested[]::new));
    send(request);

    await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(60))
        .until(() -> inboxItems() > 0);
    service.destroyForcibly().waitFor(); // SIGKILL
    long atFirstKill = inboxItems();

    service = start();
    await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(60))
        .until(() -> inboxItems() > atFirstKill);
    service.destroyForcibly().waitFor();
    long atSecondKill = inboxItems();

    start();
    awaitCaughtUp();
    System.out.printf(
        "[FanOutCrashIT] killed at %d and %d of %d inbox items stored%n",
        atFirstKill, atSecondKill, RECIPIENTS);

    assertThat(atFirstKill).as("first kill came mid fan-out").isLessThan(RECIPIENTS);
    assertThat(atSecondKill).as("second kill came mid fan-out").isLessThan(RECIPIENTS);
    assertThat(inboxItems()).isEqualTo(RECIPIENTS);
    await().atMost(Duration.ofMinutes(1)).until(() -> scheduledInboxItems() == SCHEDULED);
    java.util.Set<String> scheduledIds =
        scheduled.stream()
            .map(NotificationRequested::getRequestId)
            .collect(java.util.stream.Collectors.toSet());
    List<InboxItemCreated> scheduledEvents =
        KafkaTestClients.readAllValues(
            broker.getBrokersAsString(),
            "notification.inbox.v1",
            InboxItemCreated.class,
            e -> scheduledIds.contains(e.getNotificationId()));
    assertThat(scheduledEvents).as("held requests' inbox events").hasSize(SCHEDULED);
    assertThat(scheduledEvents.stream().map(InboxItemCreated::getNotificationId).distinct())
        .hasSize(SCHEDULED);
    assertThat(scheduledInboxItems()).isEqualTo(SCHEDULED);
    assertExactlyOncePerRecipient(
        "notification.inbox.v1", InboxItemCreated.class, InboxItemCreated::getUserId, request);
    assertExactlyOncePerRecipient(
        "notification.email.v1",
        EmailDeliveryRequested.class,
        EmailDeliveryRequested::getDeliveryId,
        request);
    assertExactlyOncePerRecipient(
        "notification.push.v1",
        PushDeliveryRequested.class,
        PushDeliveryRequested::getDeliveryId,
        request);
  }

  /**
   * The committed records of the request on {@code topic}: every recipient's, each once. A
   * read_committed reader sees records only up to the first transaction still open, and a
   * transaction the killed instance left open on a transactional id the restarted one has not used
   * yet stays open until the transaction timeout (30 s) aborts it; so the read is repeated until
   * every recipient's record is visible, and no more may appear.
   */
  private <T> void assertExactlyOncePerRecipient(
      String topic, Class<T> type, Function<T, String> id, NotificationRequested request) {
    long started = System.nanoTime();
    List<T> committed = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              committed.clear();
              committed.addAll(
                  KafkaTestClients.readAllValues(
                      broker.getBrokersAsString(),
                      topic,
                      type,
                      value -> request.getRequestId().equals(notificationIdOf(value))));
              return committed.size() >= RECIPIENTS;
            });
    System.out.printf(
        "[FanOutCrashIT] %s: all %d visible after %d ms%n",
        topic, committed.size(), (System.nanoTime() - started) / 1_000_000);
    assertThat(committed).as(topic + " records").hasSize(RECIPIENTS);
    assertThat(committed.stream().map(id).distinct().count())
        .as(topic + " distinct ids")
        .isEqualTo(RECIPIENTS);
  }

  private static String notificationIdOf(Object value) {
    if (value instanceof InboxItemCreated e) {
      return e.getNotificationId();
    }
    if (value instanceof EmailDeliveryRequested e) {
      return e.getNotificationId();
    }
    return ((PushDeliveryRequested) value).getNotificationId();
  }

  /** The service's group has consumed every request and every chunk. */
  private void awaitCaughtUp() {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                inboxItems() == RECIPIENTS
                    && caughtUp("notification.requests.v1", 0)
                    && caughtUp("notification.fanout-chunks.v1", 1));
  }

  private boolean caughtUp(String topic, int markerSlack) {
    return broker.doWithAdminFunction(
        admin -> {
          try {
            return ConsumerGroupProgress.caughtUp(
                admin,
                "notification-service",
                ConsumerGroupProgress.endOffsets(admin, topic),
                markerSlack);
          } catch (ExecutionException e) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        });
  }

  private Process start() throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("KAFKA_BOOTSTRAP", broker.getBrokersAsString());
    env.put("REGISTRY_URL", ApicurioRegistryServer.shared().url());
    env.put("HERALD_JWT_SECRET", SECRET);
    env.put("HERALD_INSTANCE_ID", "crash-test-1");
    env.put("DATABASE_HOST", "127.0.0.1");
    env.put("DATABASE_PORT", Integer.toString(PostgresTestDatabase.shared().port()));
    env.put("DATABASE_NAME", DATABASE);
    env.put("DATABASE_USER", "postgres");
    env.put("DATABASE_PASSWORD", "postgres");
    Process process =
        ServiceProcess.start(
            "target/notification-service.jar",
            List.of("-Xmx384m"),
            List.of("--herald.fanout.page-size=500", "--herald.fanout.chunks-per-batch=1"),
            env,
            Path.of("target", "fanout-crash-" + started.size() + ".log"));
    started.add(process);
    return process;
  }

  @org.junit.jupiter.api.AfterEach
  void stopProcesses() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly().waitFor();
    }
  }

  private void seedRole() throws SQLException {
    try (Connection c = database();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO subscribers (tenant_id, user_id, email, roles) SELECT '"
              + tenant
              + "', 'u' || lpad(i::text, 6, '0'), 'u' || i || '@crash.example', '{crowd}'"
              + " FROM generate_series(1, "
              + RECIPIENTS
              + ") AS i");
      s.execute(
          "INSERT INTO push_contacts (tenant_id, user_id, platform, token) SELECT tenant_id,"
              + " user_id, 'FCM', 'fcm-' || user_id FROM subscribers WHERE tenant_id = '"
              + tenant
              + "'");
      s.execute("ANALYZE subscribers");
    }
  }

  private void send(NotificationRequested... requests) throws Exception {
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
      for (NotificationRequested request : requests) {
        sends.add(
            producer.send(
                new ProducerRecord<>("notification.requests.v1", request.getRequestId(), request)));
      }
      for (java.util.concurrent.Future<?> send : sends) {
        send.get();
      }
    }
  }

  private long inboxItems() throws SQLException {
    return count(
        "SELECT count(*) FROM inbox_items WHERE tenant_id = '"
            + tenant
            + "' AND category <> 'later'");
  }

  private long scheduledInboxItems() throws SQLException {
    return count(
        "SELECT count(*) FROM inbox_items WHERE tenant_id = '"
            + tenant
            + "' AND category = 'later'");
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
