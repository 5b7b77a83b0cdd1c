package io.herald.whatsapp.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.herald.events.v1.Channel;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.support.events.DeliveryEvents;
import io.herald.worker.testing.ChannelWorkerIT;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * whatsapp-worker against a real broker, registry and database, with WireMock answering as the
 * WhatsApp Cloud API does, errors included. Tenant {@code acme} sends from phone number id
 * 106540352242922; tenant {@code slow} from one limited to five messages a second.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@EmbeddedKafka(
    partitions = 1,
    topics = {"notification.whatsapp.v1", "notification.delivery-status.v1"})
class WhatsAppDeliveriesIT extends ChannelWorkerIT {

  private static final String TOPIC = "notification.whatsapp.v1";
  private static final String MESSAGES = "/v21.0/106540352242922/messages";
  private static final WireMockServer cloudApi =
      new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

  static {
    cloudApi.start();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("herald.whatsapp.base-url", cloudApi::baseUrl);
    registry.add("herald.whatsapp.phone-number-id", () -> "106540352242922");
    registry.add("herald.whatsapp.access-token", () -> "EAAG-test-token");
    registry.add("herald.whatsapp.accounts.slow.phone-number-id", () -> "200000000000002");
    registry.add("herald.whatsapp.accounts.slow.access-token", () -> "EAAG-slow-token");
    registry.add("herald.worker.providers.whatsapp-cloud.rate-limit", () -> 5);
  }

  @Autowired KafkaTemplate<String, SpecificRecord> kafka;
  @Autowired MeterRegistry meters;

  @AfterAll
  static void stopCloudApi() {
    cloudApi.stop();
  }

  @BeforeEach
  void acceptEverything() {
    cloudApi.resetAll();
    cloudApi.stubFor(
        post(urlPathEqualTo(MESSAGES)).willReturn(accepted("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI")));
    cloudApi.stubFor(
        post(urlPathEqualTo("/v21.0/200000000000002/messages")).willReturn(accepted("wamid.slow")));
  }

  @Test
  void shouldSendATextMessageAsTheCloudApiDocumentsIt() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100001");

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getProvider()).isEqualTo("whatsapp-cloud");
    assertThat(sent.getProviderMessageId()).isEqualTo("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI");
    assertThat(sent.getChannel()).isEqualTo(Channel.WHATSAPP);
    String callback =
        new DeliveryEvents.Subject(
                "acme",
                delivery.getNotificationId(),
                delivery.getDeliveryId(),
                "alice",
                Channel.WHATSAPP)
            .callbackData();
    cloudApi.verify(
        postRequestedFor(urlPathEqualTo(MESSAGES))
            .withHeader("Authorization", equalTo("Bearer EAAG-test-token"))
            .withRequestBody(matchingJsonPath("$.messaging_product", equalTo("whatsapp")))
            .withRequestBody(matchingJsonPath("$.recipient_type", equalTo("individual")))
            .withRequestBody(matchingJsonPath("$.to", equalTo("+15550100001")))
            .withRequestBody(matchingJsonPath("$.type", equalTo("text")))
            .withRequestBody(matchingJsonPath("$.text.body", equalTo("Your order shipped")))
            .withRequestBody(matchingJsonPath("$.biz_opaque_callback_data", equalTo(callback))));
  }

  @Test
  void shouldSendATemplateMessageWithItsParameters() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100002");
    delivery.setTemplateName("order_shipped");
    delivery.setLanguageCode("en_US");
    delivery.setParameters(List.of("Alice", "A-1042"));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    cloudApi.verify(
        postRequestedFor(urlPathEqualTo(MESSAGES))
            .withRequestBody(matchingJsonPath("$.to", equalTo("+15550100002")))
            .withRequestBody(matchingJsonPath("$.type", equalTo("template")))
            .withRequestBody(matchingJsonPath("$.template.name", equalTo("order_shipped")))
            .withRequestBody(matchingJsonPath("$.template.language.code", equalTo("en_US")))
            .withRequestBody(matchingJsonPath("$.template.components[0].type", equalTo("body")))
            .withRequestBody(
                matchingJsonPath(
                    "$.template.components[0].parameters[1].text", equalTo("A-1042"))));
  }

  @Test
  void shouldRetryWhenThrottledThenSucceed() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100003");
    cloudApi.stubFor(
        to("+15550100003")
            .inScenario("throttled")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(error(400, 130429, "Rate limit hit"))
            .willSetStateTo("calm"));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getAttempt()).isEqualTo(2);
    DeliveryFailed throttled = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(throttled.getErrorCode()).isEqualTo("130429");
    assertThat(throttled.getRetryable()).isTrue();
    assertThat(throttled.getFinal$()).isFalse();
  }

  @Test
  void shouldGiveUpAfterTheLastAttemptAndDeadLetter() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100004");
    cloudApi.stubFor(to("+15550100004").willReturn(error(503, 131000, "Something went wrong")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    awaitDeadLetter(TOPIC, delivery.getDeliveryId());
    List<DeliveryFailed> failures = failures(delivery.getDeliveryId());
    assertThat(failures).extracting(DeliveryFailed::getAttempt).containsExactly(1, 2, 3);
    assertThat(failures.get(2).getFinal$()).isTrue();
    cloudApi.verify(3, sentTo("+15550100004"));
  }

  @Test
  void shouldReportAnUndeliverableNumberAsInvalidAndDeadLetterAtOnce() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100005");
    cloudApi.stubFor(to("+15550100005").willReturn(error(400, 131026, "Message Undeliverable.")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    ContactPointInvalid invalid = awaitStatus(delivery.getDeliveryId(), ContactPointInvalid.class);
    assertThat(invalid.getContact()).isEqualTo("+15550100005");
    assertThat(invalid.getChannel()).isEqualTo(Channel.WHATSAPP);
    DeliveryFailed failed = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getErrorCode()).isEqualTo("131026");
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getAttempt()).isEqualTo(1);
    awaitDeadLetter(TOPIC, delivery.getDeliveryId());
  }

  @Test
  void shouldSayATemplateIsNeededOutsideTheCustomerServiceWindow() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100006");
    cloudApi.stubFor(to("+15550100006").willReturn(error(400, 131047, "Re-engagement message")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliveryFailed failed = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getErrorCode()).isEqualTo("131047");
    assertThat(failed.getReason()).contains("template");
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getRetryable()).isFalse();
  }

  @Test
  void shouldTreatAnExpiredTokenAsAConfigurationErrorOperatorsAreAlertedTo() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100007");
    cloudApi.stubFor(
        to("+15550100007").willReturn(error(401, 190, "Error validating access token")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliveryFailed failed = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getErrorCode()).isEqualTo("190");
    assertThat(failed.getFinal$()).isTrue();
    assertThat(
            meters
                .get("herald.provider.configuration.errors")
                .tags("provider", "whatsapp-cloud", "code", "190")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  void shouldNotSendARedeliveredMessageAgain() {
    WhatsAppDeliveryRequested delivery = delivery("acme", "+15550100008");
    WhatsAppDeliveryRequested marker = delivery("acme", "+15550100009");

    kafka.send(TOPIC, delivery.getUserId(), delivery);
    kafka.send(TOPIC, delivery.getUserId(), delivery);
    kafka.send(TOPIC, marker.getUserId(), marker);

    awaitStatus(marker.getDeliveryId(), DeliverySent.class);
    cloudApi.verify(1, sentTo("+15550100008"));
    assertThat(statusesOf(delivery.getDeliveryId()))
        .filteredOn(DeliverySent.class::isInstance)
        .hasSize(1);
  }

  @Test
  void shouldHoldEachPhoneNumberToItsRateLimitWithoutLosingMessages() {
    List<WhatsAppDeliveryRequested> deliveries =
        java.util.stream.IntStream.range(0, 20)
            .mapToObj(i -> delivery("slow", "+1555020" + String.format("%04d", i)))
            .toList();

    deliveries.forEach(d -> kafka.send(TOPIC, d.getUserId(), d));

    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                deliveries.stream()
                    .allMatch(
                        d ->
                            statusesOf(d.getDeliveryId()).stream()
                                .anyMatch(DeliverySent.class::isInstance)));
    cloudApi.verify(20, postRequestedFor(urlPathEqualTo("/v21.0/200000000000002/messages")));
    assertThat(
            meters
                .get("herald.rate.limiter.wait")
                .tag("provider", "whatsapp-cloud")
                .timer()
                .count())
        .isPositive();
  }

  private List<DeliveryFailed> failures(String deliveryId) {
    return statusesOf(deliveryId).stream()
        .filter(DeliveryFailed.class::isInstance)
        .map(DeliveryFailed.class::cast)
        .toList();
  }

  private static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder sentTo(
      String phone) {
    return postRequestedFor(urlPathEqualTo(MESSAGES))
        .withRequestBody(matchingJsonPath("$.to", equalTo(phone)));
  }

  private static MappingBuilder to(String phone) {
    return post(urlPathEqualTo(MESSAGES)).withRequestBody(matchingJsonPath("$.to", equalTo(phone)));
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder accepted(
      String wamid) {
    return aResponse()
        .withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody(
            "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"+15550100001\","
                + "\"wa_id\":\"15550100001\"}],\"messages\":[{\"id\":\""
                + wamid
                + "\"}]}");
  }

  /** A Graph API error as Meta documents it. */
  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder error(
      int status, int code, String message) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(
            "{\"error\":{\"message\":\"(#"
                + code
                + ") "
                + message
                + "\",\"type\":\"OAuthException\",\"code\":"
                + code
                + ",\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\""
                + message
                + "\"},\"fbtrace_id\":\"AbCdEf123\"}}");
  }

  private static WhatsAppDeliveryRequested delivery(String tenant, String phone) {
    return WhatsAppDeliveryRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setDeliveryId(UUID.randomUUID().toString())
        .setNotificationId(UUID.randomUUID().toString())
        .setUserId("alice")
        .setPhoneNumber(phone)
        .setText("Your order shipped")
        .setCategory("orders")
        .build();
  }
}
