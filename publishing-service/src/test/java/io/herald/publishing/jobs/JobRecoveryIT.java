package io.herald.publishing.jobs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PublishRequested;
import io.herald.publishing.connections.TokenCipher;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.ServiceProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * publishing-service as its own processes: jobs due while every instance was down run when one
 * comes back, and two instances running side by side never publish a job twice (counted at the
 * simulated X and on {@code publishing.results.v1}).
 */
class JobRecoveryIT {

  private static final String DATABASE = "publishing_recovery";
  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final byte[] TOKEN_KEY = new SecureRandom().generateSeed(32);

  private static EmbeddedKafkaKraftBroker broker;
  private static WireMockServer x;

  private final String tenant = "recovery-" + UUID.randomUUID();
  private final String connectionId = "x-" + UUID.randomUUID();
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void startBrokerAndX() throws SQLException {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.brokerProperty("transaction.state.log.replication.factor", "1");
    broker.brokerProperty("transaction.state.log.min.isr", "1");
    broker.afterPropertiesSet();
    broker.addTopics(
        new NewTopic("content.approvals.v1", 3, (short) 1),
        new NewTopic("publishing.requests.v1", 3, (short) 1));
    try (Connection c = PostgresTestDatabase.shared().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE);
      s.execute("CREATE DATABASE " + DATABASE);
    }
    x = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    x.start();
    x.stubFor(
        post(urlPathEqualTo("/2/tweets"))
            .willReturn(
                aResponse()
                    .withStatus(201)
                    .withFixedDelay(100)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"data\":{\"id\":\"1{{randomValue length=18 type='NUMERIC'}}\",\"text\":\"posted\"}}")
                    .withTransformers("response-template")));
  }

  @AfterAll
  static void stopBrokerAndX() {
    broker.destroy();
    x.stop();
  }

  @org.junit.jupiter.api.BeforeEach
  void freshCount() {
    x.resetRequests();
  }

  @AfterEach
  void stopProcesses() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly().waitFor();
    }
  }

  @Test
  void shouldPublishJobsThatFellDueWhileEveryInstanceWasDown() throws Exception {
    Process first = start("recovery-1");
    connect();
    List<String> posts = approvedPosts(5);
    Instant due = Instant.now().plusSeconds(6);
    publish(posts, due);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> states(posts).stream().allMatch("scheduled"::equals));

    first.destroyForcibly().waitFor(); // SIGKILL: no instance runs when the jobs fall due
    await().atMost(Duration.ofSeconds(20)).until(() -> Instant.now().isAfter(due.plusSeconds(2)));
    assertThat(requestsAtX()).as("nothing ran while every instance was down").isZero();

    start("recovery-2");

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> states(posts).stream().allMatch("published"::equals));
    assertThat(requestsAtX()).isEqualTo(posts.size());
    // The results go out through the outbox, just after the attempts are recorded.
    await().atMost(Duration.ofSeconds(30)).until(() -> published().size() >= posts.size());
    assertThat(published()).hasSize(posts.size());
  }

  @Test
  void shouldNeverRunAJobTwiceOnTwoInstances() throws Exception {
    start("pair-1");
    start("pair-2");
    connect();
    List<String> posts = approvedPosts(300);

    publish(posts, null);

    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> states(posts).stream().allMatch("published"::equals));
    await().atMost(Duration.ofSeconds(30)).until(() -> published().size() >= posts.size());
    List<ContentPublished> results = published();
    assertThat(results).hasSize(posts.size());
    assertThat(results.stream().map(ContentPublished::getJobId).distinct()).hasSize(posts.size());
    for (String post : posts) {
      assertThat(
              x.findAll(
                      postRequestedFor(urlPathEqualTo("/2/tweets"))
                          .withRequestBody(containing(post)))
                  .size())
          .as("requests at X for post " + post)
          .isEqualTo(1);
    }
  }

  private Process start(String instanceId) throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("KAFKA_BOOTSTRAP", broker.getBrokersAsString());
    env.put("REGISTRY_URL", ApicurioRegistryServer.shared().url());
    env.put("HERALD_JWT_SECRET", SECRET);
    env.put("HERALD_INSTANCE_ID", instanceId);
    env.put("DATABASE_HOST", "127.0.0.1");
    env.put("DATABASE_PORT", Integer.toString(PostgresTestDatabase.shared().port()));
    env.put("DATABASE_NAME", DATABASE);
    env.put("DATABASE_USER", "postgres");
    env.put("DATABASE_PASSWORD", "postgres");
    env.put("PUBLISHING_TOKEN_KEY", Base64.getEncoder().encodeToString(TOKEN_KEY));
    env.put("X_API_URL", x.baseUrl());
    Process process =
        ServiceProcess.start(
            "target/publishing-service.jar",
            List.of("-Xmx256m"),
            List.of("--herald.publishing.jobs.batch=50"),
            env,
            Path.of("target", "job-recovery-" + instanceId + ".log"));
    started.add(process);
    return process;
  }

  /** The brand's X account, sealed as the service seals tokens (after its migrations ran). */
  private void connect() throws SQLException {
    TokenCipher.Sealed token =
        new TokenCipher(Map.of("local", TOKEN_KEY), "local").encrypt(connectionId, "xat-recovery");
    try (Connection c = database();
        PreparedStatement insert =
            c.prepareStatement(
                "insert into platform_connections (tenant_id, connection_id, brand_id, platform,"
                    + " account_id, account_name, status, key_id, access_token)"
                    + " values (?, ?, 'shoes', 'X', '2244994945', 'acmeshoes', 'connected', ?, ?)")) {
      insert.setString(1, tenant);
      insert.setString(2, connectionId);
      insert.setString(3, token.keyId());
      insert.setBytes(4, token.ciphertext());
      insert.executeUpdate();
    }
  }

  private List<String> approvedPosts(int n) throws Exception {
    List<String> posts = new ArrayList<>();
    List<ProducerRecord<String, Object>> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String post = UUID.randomUUID().toString();
      posts.add(post);
      Instant now = Instant.now();
      records.add(
          record(
              "content.approvals.v1",
              post,
              PostCreated.newBuilder()
                  .setEventId(UUID.randomUUID().toString())
                  .setTenantId(tenant)
                  .setOccurredAt(now)
                  .setPostId(post)
                  .setBrandId("shoes")
                  .setAuthorId("alice")
                  .setText("Post " + post)
                  .setMediaUrls(List.of())
                  .setPlatforms(List.of("X"))
                  .build()));
      records.add(
          record(
              "content.approvals.v1",
              post,
              PostSubmitted.newBuilder()
                  .setEventId(UUID.randomUUID().toString())
                  .setTenantId(tenant)
                  .setOccurredAt(now)
                  .setPostId(post)
                  .setSubmittedBy("alice")
                  .build()));
      records.add(
          record(
              "content.approvals.v1",
              post,
              ContentApproved.newBuilder()
                  .setEventId(UUID.randomUUID().toString())
                  .setTenantId(tenant)
                  .setOccurredAt(now)
                  .setPostId(post)
                  .setApprovedBy("rita")
                  .build()));
    }
    send(records);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> states(posts).stream().filter("approved"::equals).count() == n);
    return posts;
  }

  private void publish(List<String> posts, Instant scheduledAt) throws Exception {
    List<ProducerRecord<String, Object>> records = new ArrayList<>();
    for (String post : posts) {
      records.add(
          record(
              "publishing.requests.v1",
              post,
              PublishRequested.newBuilder()
                  .setEventId(UUID.randomUUID().toString())
                  .setTenantId(tenant)
                  .setOccurredAt(Instant.now())
                  .setPostId(post)
                  .setRequestedBy("rita")
                  .setPlatforms(List.of(connectionId))
                  .setScheduledAt(scheduledAt)
                  .build()));
    }
    send(records);
  }

  private static ProducerRecord<String, Object> record(
      String topic, String key, SpecificRecord value) {
    return new ProducerRecord<>(topic, key, value);
  }

  private static void send(List<ProducerRecord<String, Object>> records) throws Exception {
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      for (ProducerRecord<String, Object> r : records) {
        producer.send(r);
      }
      producer.flush();
    }
  }

  private List<String> states(List<String> posts) throws SQLException {
    try (Connection c = database();
        PreparedStatement select =
            c.prepareStatement(
                "select state from posts where tenant_id = ? and post_id = any(?)")) {
      select.setString(1, tenant);
      select.setArray(2, c.createArrayOf("text", posts.toArray()));
      List<String> states = new ArrayList<>();
      try (var rows = select.executeQuery()) {
        while (rows.next()) {
          states.add(rows.getString(1));
        }
      }
      return states.size() == posts.size() ? states : List.of("missing");
    } catch (SQLException e) {
      return List.of("no schema yet");
    }
  }

  private int requestsAtX() {
    return x.findAll(postRequestedFor(urlPathEqualTo("/2/tweets"))).size();
  }

  private List<ContentPublished> published() {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "publishing.results.v1",
        ContentPublished.class,
        e -> e.getTenantId().equals(tenant));
  }

  private static Connection database() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + PostgresTestDatabase.shared().port() + "/" + DATABASE,
        "postgres",
        "postgres");
  }
}
