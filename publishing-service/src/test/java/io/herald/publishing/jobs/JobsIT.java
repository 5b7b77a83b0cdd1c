package io.herald.publishing.jobs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublishFailed;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PublishCancelRequested;
import io.herald.events.v1.PublishRequested;
import io.herald.events.v1.PublishRetryRequested;
import io.herald.publishing.PublishingIntegrationTest;
import io.herald.publishing.connections.ConnectionStore;
import io.herald.publishing.connections.PlatformConnection;
import io.herald.publishing.platforms.SimulatedXTimeline;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Publishing jobs against a simulated X API: the production client calls WireMock, which answers as
 * X documents it (201 with {@code data.id}, 503, 403 for duplicate content); what counts is the
 * requests at the simulator and the results on {@code publishing.results.v1}.
 */
class JobsIT extends PublishingIntegrationTest {

  private static final String APPROVALS = "content.approvals.v1";
  private static final String REQUESTS = "publishing.requests.v1";
  private static final String TWEETS = "/2/tweets";

  @Autowired private ConnectionStore connections;
  @Autowired private DataSource dataSource;

  private final String brand = "brand-" + UUID.randomUUID();
  private final String connectionId = "x-" + UUID.randomUUID();
  private final String accessToken = "x-token-" + UUID.randomUUID();
  private final String reader = token("rita", List.of("approver"), List.of(brand));

  @BeforeEach
  void connectedAccount() throws Exception {
    connect(
        connectionId,
        accessToken,
        "refresh-" + UUID.randomUUID(),
        Instant.now().plus(Duration.ofHours(2)));
  }

  private void connect(String id, String access, String refresh, Instant expiresAt)
      throws Exception {
    connect(id, "X", "2244994945", "acmeshoes", access, refresh, expiresAt);
  }

  private void connect(
      String id,
      String platform,
      String accountId,
      String accountName,
      String access,
      String refresh,
      Instant expiresAt)
      throws Exception {
    try (Connection db = dataSource.getConnection()) {
      connections.save(
          db,
          new PlatformConnection(
              tenant, id, brand, platform, accountId, accountName, "connected", access, expiresAt),
          refresh);
      db.commit();
    }
  }

  /** The posts asked of LinkedIn with {@code token}. */
  private List<com.github.tomakehurst.wiremock.verification.LoggedRequest> linkedInPosts(
      String token) {
    return PLATFORMS.findAll(
        postRequestedFor(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token)));
  }

  /** A LinkedIn member's connection with {@code token}; its id. */
  private String linkedIn(String token) throws Exception {
    String id = "li-" + UUID.randomUUID();
    connect(id, "LINKEDIN", "urn:li:person:782bbtaQ", "Ada", token, null, null);
    return id;
  }

  private Instant expiresAt(String id) {
    return Instant.parse(
        PostgresTestDatabase.shared()
            .column(
                "select to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                    + " from platform_connections where connection_id = '"
                    + id
                    + "'")
            .get(0));
  }

  @Test
  void shouldPublishAnApprovedPostOnceAndReportIt() throws Exception {
    String text = "Spring sale " + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withHeader("Authorization", equalTo("Bearer " + accessToken))
            .withRequestBody(equalToJson("{\"text\":\"" + text + "\"}"))
            .willReturn(created("1445880548472328192", text)));
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, null));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getPlatformPostId()).isEqualTo("1445880548472328192");
    assertThat(published.getUrl()).isEqualTo("https://x.com/acmeshoes/status/1445880548472328192");
    assertThat(published.getAttempt()).isEqualTo(1);
    assertThat(published.getAuthorId()).isEqualTo("alice");
    awaitPostState(postId, "published");
    assertThat(requestsFor(text)).isEqualTo(1);
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "select outcome || ':' || status_code || ':' || request from publishing_attempts"
                        + " where post_id = '"
                        + postId
                        + "'"))
        .containsExactly("published:201:POST /2/tweets text=" + text.length() + " chars, media=0");

    // The job and its audit trail are the brand's: another brand or tenant sees nothing of them.
    Map<String, Object> jobs = get("/api/jobs?postId=" + postId, reader).getBody();
    @SuppressWarnings("unchecked")
    String jobId = ((List<Map<String, Object>>) jobs.get("items")).get(0).get("jobId").toString();
    assertThat(get("/api/jobs/" + jobId, reader).getBody()).containsEntry("state", "published");
    String otherBrand = token("olga", List.of("admin"), List.of("brand-other"));
    String otherTenant =
        io.herald.support.testing.TestTokens.issue(
            SECRET, "t-" + UUID.randomUUID(), "mallory", List.of("admin"), List.of("*"));
    for (String outsider : List.of(otherBrand, otherTenant)) {
      assertThat(get("/api/jobs/" + jobId, outsider).getStatusCode().value()).isEqualTo(404);
      assertThat(get("/api/jobs?postId=" + postId, outsider).getBody().get("items"))
          .asInstanceOf(InstanceOfAssertFactories.LIST)
          .isEmpty();
      assertThat(get("/api/audit?postId=" + postId, outsider).getBody().get("items"))
          .asInstanceOf(InstanceOfAssertFactories.LIST)
          .isEmpty();
      assertThat(get("/api/connections/" + connectionId, outsider).getStatusCode().value())
          .isEqualTo(404);
    }
    assertThat(get("/api/audit?jobId=" + jobId, reader).getBody().get("items"))
        .asInstanceOf(InstanceOfAssertFactories.LIST)
        .hasSize(1);
  }

  @Test
  void shouldRetryATransientFailureAndThenSucceed() throws Exception {
    String text = "Flaky " + UUID.randomUUID();
    String scenario = "flaky-" + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson("{\"text\":\"" + text + "\"}"))
            .inScenario(scenario)
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(
                aResponse()
                    .withStatus(503)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"title\":\"Service Unavailable\",\"detail\":\"Service Unavailable\",\"type\":\"about:blank\",\"status\":503}"))
            .willSetStateTo("recovered"));
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson("{\"text\":\"" + text + "\"}"))
            .inScenario(scenario)
            .whenScenarioStateIs("recovered")
            .willReturn(created("1445880548472328193", text)));
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, null));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getAttempt()).isEqualTo(2);
    List<ContentPublishFailed> failures = failures(postId);
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0).getAttempt()).isEqualTo(1);
    assertThat(failures.get(0).getFinal$()).isFalse();
    assertThat(failures.get(0).getErrorCode()).isEqualTo("PLATFORM_UNAVAILABLE");
    assertThat(requestsFor(text)).isEqualTo(2);
    awaitPostState(postId, "published");
  }

  @Test
  void shouldFindThePostOfAnAttemptThatTimedOutInsteadOfPostingAgain() throws Exception {
    String text = "Slow answer " + UUID.randomUUID() + " & more at https://example.com/sale";
    // X makes the post when the request arrives and answers after the call timeout (3 s here).
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson(json(text)))
            .willReturn(
                aResponse().withFixedDelay(5_000).withTransformers(SimulatedXTimeline.NAME)));
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/2/users/2244994945/tweets"))
            .willReturn(aResponse().withTransformers(SimulatedXTimeline.NAME)));
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, null));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getAttempt()).isEqualTo(2);
    assertThat(X_POSTS.idsOf(accessToken, text)).containsExactly(published.getPlatformPostId());
    assertThat(requestsFor(text)).as("posts asked of X").isEqualTo(1);
    assertThat(lookups()).isEqualTo(1);
    assertThat(failures(postId))
        .extracting(f -> f.getAttempt() + ":" + f.getErrorCode() + ":" + f.getFinal$())
        .containsExactly("1:TIMEOUT:false");
    awaitPostState(postId, "published");
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "select attempt || ':' || outcome || ':' || request from publishing_attempts"
                        + " where post_id = '"
                        + postId
                        + "' order by attempt"))
        .hasSize(2)
        .last()
        .asString()
        .startsWith("2:published:look for the post since")
        .endsWith("found " + published.getPlatformPostId() + ", not posted again");
  }

  @Test
  void shouldPostAgainWhenTheAttemptThatTimedOutLeftNoPost() throws Exception {
    String text = "Lost request " + UUID.randomUUID();
    String scenario = "lost-" + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson(json(text)))
            .inScenario(scenario)
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(aResponse().withStatus(503).withFixedDelay(5_000))
            .willSetStateTo("answering"));
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson(json(text)))
            .inScenario(scenario)
            .whenScenarioStateIs("answering")
            .willReturn(aResponse().withTransformers(SimulatedXTimeline.NAME)));
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/2/users/2244994945/tweets"))
            .willReturn(aResponse().withTransformers(SimulatedXTimeline.NAME)));
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, null));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getAttempt()).isEqualTo(2);
    assertThat(lookups()).as("looked before posting again").isEqualTo(1);
    assertThat(requestsFor(text)).isEqualTo(2);
    assertThat(X_POSTS.idsOf(accessToken, text)).containsExactly(published.getPlatformPostId());
  }

  @Test
  void shouldNotRetryContentThePlatformRejects() throws Exception {
    String text = "Duplicate " + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson("{\"text\":\"" + text + "\"}"))
            .willReturn(
                aResponse()
                    .withStatus(403)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"detail\":\"You are not allowed to create a Tweet with duplicate content.\","
                            + "\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403}")));
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, null));

    ContentPublishFailed failed =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> failures(postId), f -> !f.isEmpty())
            .get(0);
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getErrorCode()).isEqualTo("CONTENT_REJECTED");
    assertThat(failed.getReason()).contains("duplicate content");
    awaitPostState(postId, "failed");
    // Well past the first backoff: still one request.
    Thread.sleep(2_500);
    assertThat(requestsFor(text)).isEqualTo(1);
  }

  @Test
  void shouldGiveUpAfterTheLastAttemptOfATransientFailure() throws Exception {
    String text = "Down " + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson("{\"text\":\"" + text + "\"}"))
            .willReturn(aResponse().withStatus(500).withBody("{\"title\":\"Internal Error\"}")));
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, null));

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> failures(postId).stream().anyMatch(ContentPublishFailed::getFinal$));
    assertThat(failures(postId))
        .extracting(f -> f.getAttempt() + ":" + f.getFinal$())
        .containsExactlyInAnyOrder("1:false", "2:false", "3:true");
    assertThat(requestsFor(text)).isEqualTo(3);
    awaitPostState(postId, "failed");
  }

  @Test
  void shouldPublishAScheduledPostWhenItIsDueAndNotBefore() throws Exception {
    String text = "Later " + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withRequestBody(equalToJson("{\"text\":\"" + text + "\"}"))
            .willReturn(created("1445880548472328194", text)));
    String postId = approvedPost(text);
    Instant due = Instant.now().plusSeconds(4);

    produce(REQUESTS, postId, publish(postId, due));

    awaitPostState(postId, "scheduled");
    assertThat(requestsFor(text)).isZero();
    awaitPublished(postId);
    assertThat(Instant.now()).isAfterOrEqualTo(due);
    assertThat(requestsFor(text)).isEqualTo(1);
  }

  @Test
  void shouldCancelAScheduledPostBeforeItRuns() throws Exception {
    String text = "Never " + UUID.randomUUID();
    String postId = approvedPost(text);

    produce(REQUESTS, postId, publish(postId, Instant.now().plusSeconds(3)));
    awaitPostState(postId, "scheduled");
    produce(
        REQUESTS,
        postId,
        PublishCancelRequested.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setPostId(postId)
            .setRequestedBy("rita")
            .setReason("Campaign moved")
            .build());

    awaitPostState(postId, "cancelled");
    Thread.sleep(4_000);
    assertThat(requestsFor(text)).isZero();
    assertThat(
            PostgresTestDatabase.shared()
                .column("select state from publishing_jobs where post_id = '" + postId + "'"))
        .containsExactly("cancelled");
  }

  @Test
  void shouldRefreshATokenBeforeItExpiresAndPublishWithTheNewOne() throws Exception {
    String soon = "x-" + UUID.randomUUID();
    String oldRefresh = "xrt" + UUID.randomUUID().toString().replace("-", "");
    String newAccess = "xat" + UUID.randomUUID().toString().replace("-", "");
    String newRefresh = "xrt" + UUID.randomUUID().toString().replace("-", "");
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/2/oauth2/token"))
            .withRequestBody(containing("grant_type=refresh_token"))
            .withRequestBody(containing("refresh_token=" + oldRefresh))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"token_type\":\"bearer\",\"expires_in\":7200,\"access_token\":\""
                            + newAccess
                            + "\",\"scope\":\"tweet.read tweet.write users.read offline.access\","
                            + "\"refresh_token\":\""
                            + newRefresh
                            + "\"}")));
    // Expires within refresh-ahead (10 min): the refresher takes it on its next round.
    connect(soon, "xat-old-" + UUID.randomUUID(), oldRefresh, Instant.now().plusSeconds(300));

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> expiresAt(soon).isAfter(Instant.now().plus(Duration.ofMinutes(90))));
    assertThat(
            PLATFORMS.findAll(
                postRequestedFor(urlPathEqualTo("/2/oauth2/token"))
                    .withRequestBody(containing("refresh_token=" + oldRefresh))))
        .as("one refresh, by one instance")
        .hasSize(1);
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "select encode(access_token, 'escape') || encode(refresh_token, 'escape')"
                        + " from platform_connections where connection_id = '"
                        + soon
                        + "'"))
        .singleElement()
        .asString()
        .doesNotContain(newAccess)
        .doesNotContain(newRefresh);

    String text = "Fresh token " + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo(TWEETS))
            .withHeader("Authorization", equalTo("Bearer " + newAccess))
            .withRequestBody(equalToJson(json(text)))
            .willReturn(created("1445880548472328199", text)));
    String postId = approvedPost(text);
    produce(REQUESTS, postId, publish(postId, null, soon));

    assertThat(awaitPublished(postId).getPlatformPostId()).isEqualTo("1445880548472328199");
  }

  @Test
  void shouldExpireTheConnectionFailItsJobsAndTellTheAdminsWhenTheRefreshIsRefused()
      throws Exception {
    String revoked = "x-" + UUID.randomUUID();
    String refresh = "xrt" + UUID.randomUUID().toString().replace("-", "");
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/2/oauth2/token"))
            .withRequestBody(containing("refresh_token=" + refresh))
            .willReturn(
                aResponse()
                    .withStatus(400)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"error\":\"invalid_request\",\"error_description\":\"Value passed for the"
                            + " token was invalid.\"}")));
    // Not due for refresh yet: a post is scheduled on it first.
    connect(revoked, "xat-" + UUID.randomUUID(), refresh, Instant.now().plus(Duration.ofHours(2)));
    String text = "Scheduled on a revoked account " + UUID.randomUUID();
    String postId = approvedPost(text);
    produce(REQUESTS, postId, publish(postId, Instant.now().plus(Duration.ofHours(1)), revoked));
    awaitPostState(postId, "scheduled");

    // Now the token is close to expiry and the platform refuses the refresh.
    PostgresTestDatabase.shared()
        .column(
            "update platform_connections set expires_at = now() + interval '5 minutes'"
                + " where connection_id = '"
                + revoked
                + "' returning connection_id");

    Map<String, Object> connection =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> get("/api/connections/" + revoked, reader).getBody(),
                c -> "expired".equals(c.get("status")));
    assertThat(connection.get("statusReason").toString())
        .contains("invalid_request")
        .contains("reconnect");
    ContentPublishFailed failed =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> failures(postId), f -> !f.isEmpty())
            .get(0);
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getErrorCode()).isEqualTo("AUTH_EXPIRED");
    assertThat(failed.getReason()).contains("could not be refreshed");
    awaitPostState(postId, "failed");
    NotificationRequested notice =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    KafkaTestClients.readAllValues(
                        broker.getBrokersAsString(),
                        "notification.requests.v1",
                        NotificationRequested.class,
                        r -> r.getTenantId().equals(tenant)),
                found -> !found.isEmpty())
            .get(0);
    assertThat(notice.getCategory()).isEqualTo("connection.expired");
    assertThat(notice.getAudience().getRoles()).containsExactly("admin:" + brand);
    assertThat(notice.getData())
        .containsEntry("connectionId", revoked)
        .containsEntry("account", "acmeshoes")
        .containsEntry("failedJobs", "1");
    assertThat(requestsFor(text)).isZero();
  }

  @Test
  void shouldPublishToLinkedInWithTheVersionHeaderAndLittleTextEscaped() throws Exception {
    String linkedIn = "li-" + UUID.randomUUID();
    String token = "AQV" + UUID.randomUUID().toString().replace("-", "");
    connect(
        linkedIn,
        "LINKEDIN",
        "urn:li:person:782bbtaQ",
        "Ada Lovelace",
        token,
        null,
        Instant.now().plus(Duration.ofDays(60)));
    String marker = UUID.randomUUID().toString();
    String text = "Spring sale (20% off) #shoes " + marker;
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .withHeader("LinkedIn-Version", equalTo("202611"))
            .withHeader("X-Restli-Protocol-Version", equalTo("2.0.0"))
            .withRequestBody(
                equalToJson(
                    "{\"author\":\"urn:li:person:782bbtaQ\",\"commentary\":"
                        + json("Spring sale \\(20% off\\) \\#shoes "
                                + marker
                                + "\nhttps://cdn.example.com/sale.jpg")
                            .replaceFirst("^\\{\"text\":", "")
                            .replaceFirst("\\}$", "")
                        + ",\"visibility\":\"PUBLIC\",\"distribution\":{\"feedDistribution\":"
                        + "\"MAIN_FEED\",\"targetEntities\":[],\"thirdPartyDistributionChannels\":[]},"
                        + "\"lifecycleState\":\"PUBLISHED\",\"isReshareDisabledByAuthor\":false}"))
            .willReturn(
                aResponse()
                    .withStatus(201)
                    .withHeader("x-restli-id", "urn:li:share:6844785523593134080")));
    String postId =
        approvedPost(text, List.of("LINKEDIN"), List.of("https://cdn.example.com/sale.jpg"));

    produce(REQUESTS, postId, publish(postId, null, linkedIn));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getPlatform()).isEqualTo("LINKEDIN");
    assertThat(published.getPlatformPostId()).isEqualTo("urn:li:share:6844785523593134080");
    assertThat(published.getUrl())
        .isEqualTo("https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/");
  }

  @Test
  void shouldFindTheLinkedInPostOfAnAttemptThatTimedOut() throws Exception {
    String token = "AQV" + UUID.randomUUID().toString().replace("-", "");
    String linkedIn = linkedIn(token);
    String marker = UUID.randomUUID().toString();
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .willReturn(
                aResponse()
                    .withStatus(201)
                    .withFixedDelay(5_000)
                    .withHeader("x-restli-id", "urn:li:share:7000000000000000001")));
    // The member's posts, newest first, as LinkedIn lists them (little text, escaped).
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/rest/posts"))
            .withQueryParam("q", equalTo("author"))
            .withQueryParam("author", equalTo("urn:li:person:782bbtaQ"))
            .withHeader("X-RestLi-Method", equalTo("FINDER"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .willReturn(
                aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"paging\":{\"start\":0,\"count\":50,\"links\":[]},\"elements\":["
                            + "{\"id\":\"urn:li:share:7000000000000000001\",\"author\":\"urn:li:person:782bbtaQ\","
                            + "\"commentary\":\"Launch \\\\(today\\\\) "
                            + marker
                            + "\",\"createdAt\":"
                            + Instant.now().toEpochMilli()
                            + ",\"lifecycleState\":\"PUBLISHED\",\"visibility\":\"PUBLIC\"},"
                            + "{\"id\":\"urn:li:share:6999999999999999999\",\"commentary\":\"Older\","
                            + "\"createdAt\":"
                            + Instant.now().minus(Duration.ofDays(3)).toEpochMilli()
                            + "}]}")));
    String postId = approvedPost("Launch (today) " + marker, List.of("LINKEDIN"), List.of());

    produce(REQUESTS, postId, publish(postId, null, linkedIn));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getAttempt()).isEqualTo(2);
    assertThat(published.getPlatformPostId()).isEqualTo("urn:li:share:7000000000000000001");
    assertThat(linkedInPosts(token)).as("posted once").hasSize(1);
  }

  @Test
  void shouldNotPostAgainOnLinkedInUnlessTheUserRetriesWhenItCannotCheck() throws Exception {
    String token = "AQV" + UUID.randomUUID().toString().replace("-", "");
    String linkedIn = linkedIn(token);
    String scenario = "slow-" + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .inScenario(scenario)
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(aResponse().withStatus(504).withFixedDelay(5_000))
            .willSetStateTo("fast"));
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .inScenario(scenario)
            .whenScenarioStateIs("fast")
            .willReturn(
                aResponse()
                    .withStatus(201)
                    .withHeader("x-restli-id", "urn:li:share:7000000000000000002")));
    // Without r_member_social the member's posts cannot be read.
    PLATFORMS.stubFor(
        WireMock.get(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .willReturn(
                aResponse()
                    .withStatus(403)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"serviceErrorCode\":100,\"code\":\"ACCESS_DENIED\",\"message\":"
                            + "\"Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20240501\","
                            + "\"status\":403}")));
    String postId = approvedPost("Careful " + UUID.randomUUID(), List.of("LINKEDIN"), List.of());

    produce(REQUESTS, postId, publish(postId, null, linkedIn));

    ContentPublishFailed failed =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> failures(postId), f -> f.stream().anyMatch(ContentPublishFailed::getFinal$))
            .stream()
            .filter(ContentPublishFailed::getFinal$)
            .findFirst()
            .orElseThrow();
    assertThat(failed.getErrorCode()).isEqualTo("CANNOT_VERIFY");
    assertThat(failed.getReason()).contains("r_member_social");
    awaitPostState(postId, "failed");
    assertThat(linkedInPosts(token)).as("not posted a second time on a guess").hasSize(1);

    // The user looked, found nothing, and retries: the job posts.
    produce(
        REQUESTS,
        postId,
        PublishRetryRequested.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setPostId(postId)
            .setJobId(failed.getJobId())
            .setRequestedBy("rita")
            .build());
    assertThat(awaitPublished(postId).getPlatformPostId())
        .isEqualTo("urn:li:share:7000000000000000002");
  }

  @Test
  void shouldNotRetryAPostLinkedInRefusesAsADuplicate() throws Exception {
    String token = "AQV" + UUID.randomUUID().toString().replace("-", "");
    String linkedIn = linkedIn(token);
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/rest/posts"))
            .withHeader("Authorization", equalTo("Bearer " + token))
            .willReturn(
                aResponse()
                    .withStatus(422)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"errorDetailType\":\"com.linkedin.common.error.BadRequest\",\"message\":"
                            + "\"Content is a duplicate of urn:li:share:6844785523593134080\","
                            + "\"errorDetails\":{},\"status\":422}")));
    String postId = approvedPost("Again " + UUID.randomUUID(), List.of("LINKEDIN"), List.of());

    produce(REQUESTS, postId, publish(postId, null, linkedIn));

    ContentPublishFailed failed =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> failures(postId), f -> !f.isEmpty())
            .get(0);
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getErrorCode()).isEqualTo("CONTENT_REJECTED");
    assertThat(failed.getReason()).contains("duplicate");
    awaitPostState(postId, "failed");
    assertThat(linkedInPosts(token)).hasSize(1);
  }

  @Test
  void shouldPublishToAFacebookPageAfterItsRateLimitClears() throws Exception {
    String facebook = "fb-" + UUID.randomUUID();
    String pageToken = "EAApage" + UUID.randomUUID().toString().replace("-", "");
    connect(facebook, "FACEBOOK", "101355405969734", "Acme Shoes", pageToken, null, null);
    String text = "New arrivals " + UUID.randomUUID();
    String scenario = "page-limit-" + UUID.randomUUID();
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/v23.0/101355405969734/feed"))
            .withHeader("Authorization", equalTo("Bearer " + pageToken))
            .inScenario(scenario)
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(
                aResponse()
                    .withStatus(400)
                    .withHeader("Content-Type", "application/json")
                    .withHeader(
                        "X-Business-Use-Case-Usage",
                        "{\"101355405969734\":[{\"type\":\"pages\",\"call_count\":100,"
                            + "\"total_cputime\":25,\"total_time\":25,\"estimated_time_to_regain_access\":0}]}")
                    .withBody(
                        "{\"error\":{\"message\":\"(#32) Page request limit reached\",\"type\":"
                            + "\"OAuthException\",\"code\":32,\"fbtrace_id\":\"AbCdEf\"}}"))
            .willSetStateTo("cleared"));
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/v23.0/101355405969734/feed"))
            .withHeader("Authorization", equalTo("Bearer " + pageToken))
            .withRequestBody(containing("link=https%3A%2F%2Fcdn.example.com%2Fnew.jpg"))
            .inScenario(scenario)
            .whenScenarioStateIs("cleared")
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "application/json")
                    .withBody("{\"id\":\"101355405969734_122110834924000001\"}")));
    String postId =
        approvedPost(text, List.of("FACEBOOK"), List.of("https://cdn.example.com/new.jpg"));

    produce(REQUESTS, postId, publish(postId, null, facebook));

    ContentPublished published = awaitPublished(postId);
    assertThat(published.getAttempt()).isEqualTo(2);
    assertThat(published.getUrl())
        .isEqualTo("https://www.facebook.com/101355405969734/posts/122110834924000001");
    assertThat(failures(postId))
        .extracting(f -> f.getErrorCode() + ":" + f.getFinal$())
        .containsExactly("RATE_LIMITED:false");
  }

  @Test
  void shouldFailAFacebookJobForGoodWhenThePageTokenIsRevoked() throws Exception {
    String facebook = "fb-" + UUID.randomUUID();
    String pageToken = "EAApage" + UUID.randomUUID().toString().replace("-", "");
    connect(facebook, "FACEBOOK", "101355405969736", "Acme Socks", pageToken, null, null);
    PLATFORMS.stubFor(
        post(urlPathEqualTo("/v23.0/101355405969736/feed"))
            .willReturn(
                aResponse()
                    .withStatus(400)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"error\":{\"message\":\"Error validating access token: The session has been"
                            + " invalidated because the user changed their password.\",\"type\":"
                            + "\"OAuthException\",\"code\":190,\"error_subcode\":460,\"fbtrace_id\":\"AbC\"}}")));
    String postId = approvedPost("Socks " + UUID.randomUUID(), List.of("FACEBOOK"), List.of());

    produce(REQUESTS, postId, publish(postId, null, facebook));

    ContentPublishFailed failed =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> failures(postId), f -> !f.isEmpty())
            .get(0);
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getErrorCode()).isEqualTo("AUTH_REVOKED");
    assertThat(failed.getReason()).contains("password");
  }

  @Test
  void shouldKeepNoPlaintextTokenInTheDatabase() {
    List<String> stored =
        PostgresTestDatabase.shared()
            .column(
                "select encode(access_token, 'escape') || encode(refresh_token, 'escape')"
                    + " from platform_connections where connection_id = '"
                    + connectionId
                    + "'");
    assertThat(stored).hasSize(1);
    assertThat(stored.get(0)).doesNotContain(accessToken).doesNotContain("refresh-");
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "select key_id from platform_connections where connection_id = '"
                        + connectionId
                        + "'"))
        .containsExactly("local");
  }

  private String approvedPost(String text) throws Exception {
    return approvedPost(text, List.of("X"), List.of());
  }

  private String approvedPost(String text, List<String> platforms, List<String> media)
      throws Exception {
    String postId = UUID.randomUUID().toString();
    produce(
        APPROVALS,
        postId,
        PostCreated.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setPostId(postId)
            .setBrandId(brand)
            .setAuthorId("alice")
            .setText(text)
            .setMediaUrls(media)
            .setPlatforms(platforms)
            .build(),
        PostSubmitted.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setPostId(postId)
            .setSubmittedBy("alice")
            .build(),
        ContentApproved.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setPostId(postId)
            .setApprovedBy("rita")
            .build());
    awaitPostState(postId, "approved");
    return postId;
  }

  private PublishRequested publish(String postId, Instant scheduledAt) {
    return publish(postId, scheduledAt, connectionId);
  }

  private PublishRequested publish(String postId, Instant scheduledAt, String connection) {
    return PublishRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setRequestedBy("rita")
        .setPlatforms(List.of(connection))
        .setScheduledAt(scheduledAt)
        .build();
  }

  private void awaitPostState(String postId, String state) {
    awaitPost(postId, state, reader);
  }

  private ContentPublished awaitPublished(String postId) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                KafkaTestClients.readAllValues(
                    broker.getBrokersAsString(),
                    "publishing.results.v1",
                    ContentPublished.class,
                    e -> e.getPostId().equals(postId)),
            found -> !found.isEmpty())
        .get(0);
  }

  private List<ContentPublishFailed> failures(String postId) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "publishing.results.v1",
        ContentPublishFailed.class,
        e -> e.getPostId().equals(postId));
  }

  /** Reads of the account's posts made with this test's token. */
  private int lookups() {
    return PLATFORMS
        .findAll(
            getRequestedFor(urlPathEqualTo("/2/users/2244994945/tweets"))
                .withHeader("Authorization", equalTo("Bearer " + accessToken)))
        .size();
  }

  private static String json(String text) {
    return tools.jackson.databind.json.JsonMapper.builder()
        .build()
        .createObjectNode()
        .put("text", text)
        .toString();
  }

  private int requestsFor(String text) {
    return PLATFORMS
        .findAll(postRequestedFor(urlPathEqualTo(TWEETS)).withRequestBody(equalToJson(json(text))))
        .size();
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder created(
      String id, String text) {
    return aResponse()
        .withStatus(201)
        .withHeader("Content-Type", "application/json")
        .withBody(
            new String(
                ("{\"data\":{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}}")
                    .getBytes(StandardCharsets.UTF_8),
                StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unused")
  private static Map<String, Object> none() {
    return Map.of();
  }
}
