package io.herald.publishing.jobs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PublishRequested;
import io.herald.publishing.connections.TokenCipher;
import io.herald.publishing.platforms.SimulatedXTimeline;
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
import java.util.concurrent.CompletableFuture;
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
 * comes back, two instances running side by side never publish a job twice, and an instance killed
 * while X is making its posts leaves none to be made twice (counted at the simulated X and on
 * {@code publishing.results.v1}).
 */
class JobRecoveryIT {

  private static final String DATABASE = "publishing_recovery";
  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final byte[] TOKEN_KEY = new SecureRandom().generateSeed(32);

  private static EmbeddedKafkaKraftBroker broker;
  private static WireMockServer x;
  private static final SimulatedXTimeline X_POSTS = new SimulatedXTimeline();

  private final String tenant = "recovery-" + UUID.randomUUID();
  private final String connectionId = "x-" + UUID.randomUUID();
  private final List<Process> started = new java.util.concurrent.CopyOnWriteArrayList<>();

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
    x =
        new WireMockServer(
            WireMockConfiguration.options()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .extensions(X_POSTS));
    x.start();
    x.stubFor(
        post(urlPathEqualTo("/2/tweets"))
            .willReturn(aResponse().withFixedDelay(100).withTransformers(SimulatedXTimeline.NAME)));
    x.stubFor(
        WireMock.get(urlPathMatching("/2/users/[0-9]+/tweets"))
            .willReturn(aResponse().withTransformers(SimulatedXTimeline.NAME)));
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
    // Both start at once: each waits for its own readiness.
    CompletableFuture<Process> pair = CompletableFuture.supplyAsync(() -> startUnchecked("pair-2"));
    start("pair-1");
    pair.join();
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

  @Test
  void shouldNotPostAgainAfterAnInstanceIsKilledMidPublish() throws Exception {
    // X makes each post when the request arrives and answers 8 s later (well within the 20 s a
    // call may take): long enough to kill the instance with every post made on X and none of the
    // answers recorded.
    x.stubFor(
        post(urlPathEqualTo("/2/tweets"))
            .atPriority(1)
            .withRequestBody(containing("Crash "))
            .willReturn(
                aResponse().withFixedDelay(8_000).withTransformers(SimulatedXTimeline.NAME)));
    Process first = start("crash-1");
    connect();
    List<String> posts = approvedPosts(20, "Crash ");

    // Due together a few seconds from now, so that one claim takes all 20 and every call is in
    // flight at once (jobs created over several consumer batches would otherwise be claimed, and
    // answered, in waves).
    publish(posts, Instant.now().plusSeconds(6));
    await().atMost(Duration.ofSeconds(40)).until(() -> requestsAtX() == posts.size());
    first.destroyForcibly().waitFor(); // SIGKILL mid-call
    assertThat(jobStates()).as("jobs left running by the dead instance").containsOnly("running");

    start("crash-2"); // claims them once their lease (5 s) is over

    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> states(posts).stream().allMatch("published"::equals));
    for (String post : posts) {
      assertThat(
              x.findAll(
                  postRequestedFor(urlPathEqualTo("/2/tweets")).withRequestBody(containing(post))))
          .as("posts asked of X for " + post)
          .hasSize(1);
      assertThat(X_POSTS.idsOf(token(), post)).as("posts on the account for " + post).hasSize(1);
    }
    assertThat(x.findAll(getRequestedFor(urlPathMatching("/2/users/[0-9]+/tweets"))))
        .as("reads of the account's posts")
        .isNotEmpty();
    await().atMost(Duration.ofSeconds(30)).until(() -> published().size() >= posts.size());
    List<ContentPublished> results = published();
    assertThat(results).hasSize(posts.size());
    for (ContentPublished result : results) {
      String post = result.getPostId();
      assertThat(X_POSTS.idsOf(token(), post)).containsExactly(result.getPlatformPostId());
      assertThat(result.getAttempt()).isEqualTo(2);
    }
  }

  private Process startUnchecked(String instanceId) {
    try {
      return start(instanceId);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
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
            List.of(
                "--herald.publishing.jobs.batch=50",
                "--herald.publishing.jobs.lease=5s",
                // Partitions of an instance an earlier test killed are reassigned in seconds.
                "--spring.kafka.consumer.properties.session.timeout.ms=6000",
                "--spring.kafka.consumer.properties.heartbeat.interval.ms=1500"),
            env,
            Path.of("target", "job-recovery-" + instanceId + ".log"));
    started.add(process);
    return process;
  }

  /** The brand's X account, sealed as the service seals tokens (after its migrations ran). */
  private void connect() throws SQLException {
    TokenCipher.Sealed token =
        new TokenCipher(Map.of("local", TOKEN_KEY), "local").encrypt(connectionId, token());
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

  /** The account's access token: one per test, so each test has an X timeline of its own. */
  private String token() {
    return "xat-" + tenant;
  }

  private List<String> approvedPosts(int n) throws Exception {
    return approvedPosts(n, "Post ");
  }

  private List<String> approvedPosts(int n, String prefix) throws Exception {
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
                  .setText(prefix + post)
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

  private List<String> jobStates() throws SQLException {
    try (Connection c = database();
        PreparedStatement select =
            c.prepareStatement("select state from publishing_jobs where tenant_id = ?")) {
      select.setString(1, tenant);
      List<String> states = new ArrayList<>();
      try (var rows = select.executeQuery()) {
        while (rows.next()) {
          states.add(rows.getString(1));
        }
      }
      return states;
    }
  }

  private int requestsAtX() {
    return x.findAll(
            postRequestedFor(urlPathEqualTo("/2/tweets"))
                .withHeader("Authorization", equalTo("Bearer " + token())))
        .size();
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
