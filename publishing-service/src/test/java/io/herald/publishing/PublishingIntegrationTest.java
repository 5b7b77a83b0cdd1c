package io.herald.publishing;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.herald.publishing.platforms.SimulatedXTimeline;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.ResponseEntity;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.kafka.test.utils.ContainerTestUtils;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * publishing-service on a real KRaft broker, Apicurio Registry and PostgreSQL, driven through its
 * topics and read through its HTTP API. Each test works in a tenant of its own.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(partitions = 3)
public abstract class PublishingIntegrationTest {

  protected static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();

  /** The key that seals platform tokens in these tests. */
  protected static final byte[] TOKEN_KEY = new java.security.SecureRandom().generateSeed(32);

  /** X's posts, for stubs that name {@link SimulatedXTimeline#NAME}. */
  protected static final SimulatedXTimeline X_POSTS = new SimulatedXTimeline();

  /** Plays the social platforms' APIs. */
  protected static final WireMockServer PLATFORMS = started();

  private static final ParameterizedTypeReference<Map<String, Object>> JSON =
      new ParameterizedTypeReference<>() {};

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("herald.security.jwt-secret", () -> SECRET);
    PostgresTestDatabase.shared().register(registry);
    registry.add(
        "herald.publishing.token-keys.local", () -> Base64.getEncoder().encodeToString(TOKEN_KEY));
    registry.add("herald.publishing.active-token-key", () -> "local");
    registry.add("herald.publishing.platforms.X", PLATFORMS::baseUrl);
    registry.add("herald.publishing.platforms.LINKEDIN", PLATFORMS::baseUrl);
    registry.add("herald.publishing.platforms.FACEBOOK", () -> PLATFORMS.baseUrl() + "/v23.0");
    registry.add("herald.oauth.platforms.LINKEDIN.client-id", () -> "herald-linkedin");
    registry.add("herald.oauth.platforms.LINKEDIN.client-secret", () -> "linkedin-secret");
    registry.add(
        "herald.oauth.platforms.LINKEDIN.client-authentication", () -> "client_secret_post");
    registry.add(
        "herald.oauth.platforms.LINKEDIN.authorize-url",
        () -> PLATFORMS.baseUrl() + "/oauth/v2/authorization");
    registry.add(
        "herald.oauth.platforms.LINKEDIN.token-url",
        () -> PLATFORMS.baseUrl() + "/oauth/v2/accessToken");
    registry.add(
        "herald.oauth.platforms.LINKEDIN.revoke-url",
        () -> PLATFORMS.baseUrl() + "/oauth/v2/revoke");
    registry.add(
        "herald.oauth.platforms.LINKEDIN.identity-url", () -> PLATFORMS.baseUrl() + "/v2/userinfo");
    registry.add("herald.oauth.platforms.LINKEDIN.scopes", () -> "openid,profile,w_member_social");
    registry.add("herald.oauth.platforms.FACEBOOK.client-id", () -> "herald-facebook");
    registry.add("herald.oauth.platforms.FACEBOOK.client-secret", () -> "facebook-secret");
    registry.add(
        "herald.oauth.platforms.FACEBOOK.client-authentication", () -> "client_secret_post");
    registry.add(
        "herald.oauth.platforms.FACEBOOK.authorize-url",
        () -> PLATFORMS.baseUrl() + "/v23.0/dialog/oauth");
    registry.add(
        "herald.oauth.platforms.FACEBOOK.token-url",
        () -> PLATFORMS.baseUrl() + "/v23.0/oauth/access_token");
    registry.add(
        "herald.oauth.platforms.FACEBOOK.identity-url",
        () -> PLATFORMS.baseUrl() + "/v23.0/me?fields=id,name");
    registry.add(
        "herald.oauth.platforms.FACEBOOK.scopes",
        () -> "pages_show_list,pages_manage_posts,pages_read_engagement");
    registry.add("herald.oauth.platforms.X.client-id", () -> "herald-test-client");
    registry.add("herald.oauth.platforms.X.client-secret", () -> "");
    registry.add(
        "herald.oauth.platforms.X.authorize-url",
        () -> PLATFORMS.baseUrl() + "/i/oauth2/authorize");
    registry.add(
        "herald.oauth.platforms.X.token-url", () -> PLATFORMS.baseUrl() + "/2/oauth2/token");
    registry.add(
        "herald.oauth.platforms.X.revoke-url", () -> PLATFORMS.baseUrl() + "/2/oauth2/revoke");
    registry.add(
        "herald.oauth.platforms.X.identity-url", () -> PLATFORMS.baseUrl() + "/2/users/me");
    // Short, so that an attempt timing out (and the look for its post that follows) is quick to
    // see.
    registry.add("herald.publishing.jobs.call-timeout", () -> "3s");
    registry.add("herald.oauth.refresh-interval", () -> "1s");
    registry.add("herald.oauth.redirect-uri", () -> "http://127.0.0.1:8080/oauth/callback");
  }

  private static WireMockServer started() {
    WireMockServer server =
        new WireMockServer(
            WireMockConfiguration.options()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .extensions(X_POSTS));
    server.start();
    return server;
  }

  @LocalServerPort protected int port;
  @Autowired protected EmbeddedKafkaBroker broker;
  @Autowired private KafkaListenerEndpointRegistry listeners;

  /** The tenant of this test alone. */
  protected final String tenant = "t-" + UUID.randomUUID();

  @BeforeEach
  void listenersAssigned() {
    // content.approvals.v1 and publishing.requests.v1, three partitions each.
    for (MessageListenerContainer container : listeners.getListenerContainers()) {
      ContainerTestUtils.waitForAssignment(container, 6);
    }
  }

  /** Produces each value keyed as given, each acknowledged, in order. */
  protected void produce(String topic, String key, SpecificRecord... values) throws Exception {
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      for (SpecificRecord value : values) {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
      }
    }
  }

  /** The post as {@code token}'s holder sees it, once it is in {@code state}. */
  protected Map<String, Object> awaitPost(String postId, String state, String token) {
    return org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> get("/api/posts/" + postId, token),
            r -> r.getStatusCode().value() == 200 && state.equals(r.getBody().get("state")))
        .getBody();
  }

  protected String token(String user, List<String> roles, List<String> brands) {
    return TestTokens.issue(SECRET, tenant, user, roles, brands);
  }

  protected ResponseEntity<Map<String, Object>> get(String path, String token) {
    return call(org.springframework.http.HttpMethod.GET, path, token, null);
  }

  /** Any method; no {@code Authorization} header when {@code token} is null. */
  protected ResponseEntity<Map<String, Object>> call(
      org.springframework.http.HttpMethod method, String path, String token, String json) {
    WebClient.RequestBodySpec request =
        WebClient.create("http://127.0.0.1:" + port).method(method).uri(path);
    if (token != null) {
      request = request.header("Authorization", "Bearer " + token);
    }
    WebClient.RequestHeadersSpec<?> spec =
        json == null
            ? request
            : request
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue(json);
    return spec.exchangeToMono(r -> r.toEntity(JSON)).block(Duration.ofSeconds(10));
  }
}
