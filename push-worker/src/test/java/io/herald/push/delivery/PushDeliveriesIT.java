package io.herald.push.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.events.v1.WebPushKeys;
import io.herald.support.crypto.P256;
import io.herald.worker.testing.ChannelWorkerIT;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * push-worker against a real broker, registry and database, with WireMock as Google's token
 * endpoint, FCM HTTP v1 and a Web Push service. The test holds the browser's side of a Web Push
 * subscription and decrypts what reached the push service.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@EmbeddedKafka(
    partitions = 1,
    topics = {"notification.push.v1", "notification.delivery-status.v1"})
class PushDeliveriesIT extends ChannelWorkerIT {

  private static final String TOPIC = "notification.push.v1";
  private static final String SEND = "/v1/projects/herald-test/messages:send";
  private static final WireMockServer google =
      new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private static final KeyPair vapid;
  private static final KeyPair browser;
  private static final byte[] authSecret = new byte[16];
  private static final JsonMapper json = JsonMapper.builder().build();

  static {
    google.start();
    try {
      vapid = P256.generate();
      browser = P256.generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    new SecureRandom().nextBytes(authSecret);
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) throws Exception {
    registry.add("herald.push.fcm.service-account-json", PushDeliveriesIT::serviceAccount);
    registry.add("herald.push.fcm.base-url", google::baseUrl);
    registry.add(
        "herald.push.web-push.vapid-public-key",
        () -> P256.base64Url(P256.uncompressed((ECPublicKey) vapid.getPublic())));
    registry.add(
        "herald.push.web-push.vapid-private-key",
        () -> P256.base64Url(P256.scalar((ECPrivateKey) vapid.getPrivate())));
    registry.add("herald.push.web-push.subject", () -> "mailto:ops@acme.example");
  }

  @Autowired KafkaTemplate<String, SpecificRecord> kafka;
  @Autowired GoogleAccessTokens tokens;

  @AfterAll
  static void stopGoogle() {
    google.stop();
  }

  @BeforeEach
  void answerLikeGoogle() {
    google.resetAll();
    // Each test starts without a cached access token.
    tokens.refused("ya29.test-token");
    google.stubFor(
        post(urlPathEqualTo("/token"))
            .withRequestBody(
                containing("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"))
            .willReturn(
                json(
                    200,
                    "{\"access_token\":\"ya29.test-token\",\"expires_in\":3599,"
                        + "\"token_type\":\"Bearer\"}")));
    google.stubFor(
        post(urlPathEqualTo(SEND))
            .willReturn(
                json(
                    200,
                    "{\"name\":\"projects/herald-test/messages/0:1500415314455276%31bd1c9631bd1c96\"}")));
    google.stubFor(
        post(urlPathEqualTo("/wpush/v2/sub-ok"))
            .willReturn(
                aResponse().withStatus(201).withHeader("Location", "https://push.example/m/1")));
  }

  @Test
  void shouldSendOverFcmWithAnAccessTokenFetchedOnceAndReused() throws Exception {
    PushDeliveryRequested first = fcm("fcm-token-1");
    PushDeliveryRequested second = fcm("fcm-token-2");

    kafka.send(TOPIC, first.getUserId(), first);
    awaitStatus(first.getDeliveryId(), DeliverySent.class);
    kafka.send(TOPIC, second.getUserId(), second);
    DeliverySent sent = awaitStatus(second.getDeliveryId(), DeliverySent.class);

    assertThat(sent.getProvider()).isEqualTo("fcm");
    assertThat(sent.getProviderMessageId()).startsWith("projects/herald-test/messages/");
    google.verify(
        postRequestedFor(urlPathEqualTo(SEND))
            .withHeader("Authorization", equalTo("Bearer ya29.test-token"))
            .withRequestBody(matchingJsonPath("$.message.token", equalTo("fcm-token-1")))
            .withRequestBody(
                matchingJsonPath("$.message.notification.title", equalTo("Build passed")))
            .withRequestBody(
                matchingJsonPath("$.message.notification.body", equalTo("main is green")))
            .withRequestBody(
                matchingJsonPath(
                    "$.message.data.herald_delivery_id", equalTo(first.getDeliveryId())))
            .withRequestBody(
                matchingJsonPath(
                    "$.message.webpush.fcm_options.link",
                    equalTo("https://app.acme.example/builds/7"))));
    List<LoggedRequest> exchanges = google.findAll(postRequestedFor(urlPathEqualTo("/token")));
    assertThat(exchanges).hasSize(1);
    String assertion =
        java.net.URLDecoder.decode(
            exchanges.get(0).getBodyAsString().replaceAll(".*assertion=", ""),
            StandardCharsets.UTF_8);
    SignedJWT jwt = SignedJWT.parse(assertion);
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("RS256");
    assertThat(jwt.getJWTClaimsSet().getIssuer())
        .isEqualTo("herald@herald-test.iam.gserviceaccount.com");
    assertThat(jwt.getJWTClaimsSet().getStringClaim("scope"))
        .isEqualTo("https://www.googleapis.com/auth/firebase.messaging");
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly(google.baseUrl() + "/token");
  }

  @Test
  void shouldReportAnUnregisteredTokenAsInvalidAndDeadLetterIt() {
    PushDeliveryRequested delivery = fcm("fcm-token-gone");
    google.stubFor(
        post(urlPathEqualTo(SEND))
            .withRequestBody(matchingJsonPath("$.message.token", equalTo("fcm-token-gone")))
            .willReturn(
                fcmError(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    ContactPointInvalid invalid = awaitStatus(delivery.getDeliveryId(), ContactPointInvalid.class);
    assertThat(invalid.getContact()).isEqualTo("fcm-token-gone");
    DeliveryFailed failed = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getErrorCode()).isEqualTo("UNREGISTERED");
    assertThat(failed.getFinal$()).isTrue();
    awaitDeadLetter(TOPIC, delivery.getDeliveryId());
  }

  @Test
  void shouldRetryQuotaExceededAndUnavailableThenSucceed() {
    PushDeliveryRequested delivery = fcm("fcm-token-busy");
    google.stubFor(
        post(urlPathEqualTo(SEND))
            .withRequestBody(matchingJsonPath("$.message.token", equalTo("fcm-token-busy")))
            .inScenario("busy")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(
                fcmError(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.")
                    .withHeader("Retry-After", "1"))
            .willSetStateTo("unavailable"));
    google.stubFor(
        post(urlPathEqualTo(SEND))
            .withRequestBody(matchingJsonPath("$.message.token", equalTo("fcm-token-busy")))
            .inScenario("busy")
            .whenScenarioStateIs("unavailable")
            .willReturn(fcmError(503, "UNAVAILABLE", "UNAVAILABLE", "The service is unavailable."))
            .willSetStateTo("fine"));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getAttempt()).isEqualTo(3);
    List<DeliveryFailed> failures =
        statusesOf(delivery.getDeliveryId()).stream()
            .filter(DeliveryFailed.class::isInstance)
            .map(DeliveryFailed.class::cast)
            .toList();
    assertThat(failures)
        .extracting(DeliveryFailed::getErrorCode)
        .containsExactly("QUOTA_EXCEEDED", "UNAVAILABLE");
    assertThat(failures).allMatch(f -> f.getRetryable() && !f.getFinal$());
  }

  @Test
  void shouldEncryptTheWebPushPayloadForTheSubscriptionAndSignWithVapid() throws Exception {
    PushDeliveryRequested delivery = webPush(google.baseUrl() + "/wpush/v2/sub-ok");

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getProvider()).isEqualTo("webpush");
    assertThat(sent.getProviderMessageId()).isEqualTo("https://push.example/m/1");
    LoggedRequest request =
        google.findAll(postRequestedFor(urlPathEqualTo("/wpush/v2/sub-ok"))).get(0);
    assertThat(request.getHeader("Content-Encoding")).isEqualTo("aes128gcm");
    assertThat(request.getHeader("TTL")).isEqualTo("86400");
    assertThat(request.getHeader("Urgency")).isEqualTo("normal");

    JsonNode payload = json.readTree(decrypt(request.getBody()));
    assertThat(payload.path("title").asString()).isEqualTo("Build passed");
    assertThat(payload.path("body").asString()).isEqualTo("main is green");
    assertThat(payload.path("url").asString()).isEqualTo("https://app.acme.example/builds/7");
    assertThat(payload.path("deliveryId").asString()).isEqualTo(delivery.getDeliveryId());

    String authorization = request.getHeader("Authorization");
    assertThat(authorization).startsWith("vapid t=");
    String token = authorization.substring("vapid t=".length(), authorization.indexOf(','));
    String key = authorization.substring(authorization.indexOf("k=") + 2).trim();
    assertThat(P256.publicKey(P256.base64Url(key))).isEqualTo(vapid.getPublic());
    SignedJWT jwt = SignedJWT.parse(token);
    assertThat(jwt.verify(new ECDSAVerifier((ECPublicKey) vapid.getPublic()))).isTrue();
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly(origin());
    assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("mailto:ops@acme.example");
  }

  @Test
  void shouldReportAnExpiredSubscriptionAsInvalid() {
    PushDeliveryRequested delivery = webPush(google.baseUrl() + "/wpush/v2/sub-gone");
    google.stubFor(
        post(urlPathEqualTo("/wpush/v2/sub-gone")).willReturn(aResponse().withStatus(410)));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    ContactPointInvalid invalid = awaitStatus(delivery.getDeliveryId(), ContactPointInvalid.class);
    assertThat(invalid.getContact()).isEqualTo(delivery.getDeviceToken());
    assertThat(awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class).getErrorCode())
        .isEqualTo("HTTP_410");
  }

  @Test
  void shouldNotSendARedeliveredPushAgain() {
    PushDeliveryRequested delivery = fcm("fcm-token-twice");
    PushDeliveryRequested marker = fcm("fcm-token-marker");

    kafka.send(TOPIC, delivery.getUserId(), delivery);
    kafka.send(TOPIC, delivery.getUserId(), delivery);
    kafka.send(TOPIC, marker.getUserId(), marker);

    awaitStatus(marker.getDeliveryId(), DeliverySent.class);
    google.verify(
        1,
        postRequestedFor(urlPathEqualTo(SEND))
            .withRequestBody(matchingJsonPath("$.message.token", equalTo("fcm-token-twice"))));
  }

  @Test
  void shouldDeadLetterARecordOfAnUnknownPlatform() {
    PushDeliveryRequested delivery = fcm("apns-token");
    delivery.setPlatform("APNS");

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    ConsumerRecord<String, byte[]> dead = awaitDeadLetter(TOPIC, delivery.getDeliveryId());
    assertThat(header(dead, "herald-error-code")).isEqualTo("INVALID");
    assertThat(header(dead, "kafka_dlt-exception-message")).contains("APNS");
  }

  private String origin() {
    return WebPushProvider.origin(java.net.URI.create(google.baseUrl()));
  }

  /** What the browser does with a push message: RFC 8291 decryption with its private key. */
  private static byte[] decrypt(byte[] body) throws Exception {
    ByteBuffer in = ByteBuffer.wrap(body);
    byte[] salt = new byte[16];
    in.get(salt);
    int recordSize = in.getInt();
    assertThat(recordSize).isEqualTo(4096);
    byte[] senderKey = new byte[in.get()];
    in.get(senderKey);
    byte[] ciphertext = new byte[in.remaining()];
    in.get(ciphertext);
    KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
    agreement.init(browser.getPrivate());
    agreement.doPhase(P256.publicKey(senderKey), true);
    WebPushCrypto.Keys keys =
        WebPushCrypto.keys(
            agreement.generateSecret(),
            authSecret,
            P256.uncompressed((ECPublicKey) browser.getPublic()),
            senderKey,
            salt);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(keys.cek(), "AES"),
        new GCMParameterSpec(128, keys.nonce()));
    byte[] padded = cipher.doFinal(ciphertext);
    int end = padded.length - 1;
    while (end >= 0 && padded[end] == 0) {
      end--;
    }
    assertThat(padded[end]).isEqualTo((byte) 0x02);
    return Arrays.copyOf(padded, end);
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body);
  }

  /** An FCM v1 error as Google documents it. */
  private static ResponseDefinitionBuilder fcmError(
      int code, String status, String errorCode, String message) {
    return json(
        code,
        "{\"error\":{\"code\":"
            + code
            + ",\"message\":\""
            + message
            + "\",\"status\":\""
            + status
            + "\",\"details\":[{\"@type\":\"type.googleapis.com/google.firebase.fcm.v1.FcmError\","
            + "\"errorCode\":\""
            + errorCode
            + "\"}]}}");
  }

  private static String serviceAccount() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair rsa = generator.generateKeyPair();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(rsa.getPrivate().getEncoded())
              + "\n-----END PRIVATE KEY-----\n";
      return json.writeValueAsString(
          Map.of(
              "type", "service_account",
              "project_id", "herald-test",
              "private_key_id", "key-1",
              "private_key", pem,
              "client_email", "herald@herald-test.iam.gserviceaccount.com",
              "token_uri", google.baseUrl() + "/token"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static PushDeliveryRequested fcm(String token) {
    return base(token, "FCM", null);
  }

  private static PushDeliveryRequested webPush(String endpoint) {
    return base(
        endpoint,
        "WEB_PUSH",
        new WebPushKeys(
            P256.base64Url(P256.uncompressed((ECPublicKey) browser.getPublic())),
            P256.base64Url(authSecret)));
  }

  private static PushDeliveryRequested base(String token, String platform, WebPushKeys keys) {
    return PushDeliveryRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId("acme")
        .setOccurredAt(Instant.now())
        .setDeliveryId(UUID.randomUUID().toString())
        .setNotificationId(UUID.randomUUID().toString())
        .setUserId("alice")
        .setDeviceToken(token)
        .setPlatform(platform)
        .setTitle("Build passed")
        .setBody("main is green")
        .setLink("https://app.acme.example/builds/7")
        .setData(Map.of("build", "7"))
        .setCategory("builds")
        .setWebPush(keys)
        .build();
  }
}
