package io.herald.email.delivery;

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
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.support.testing.FreePorts;
import io.herald.worker.testing.ChannelWorkerIT;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * email-worker against a real KRaft broker, Apicurio Registry, PostgreSQL, a GreenMail SMTP server
 * and a WireMock stand-in for SendGrid's v3 Mail Send API. Tenant {@code acme} sends over SMTP,
 * {@code sg} over SendGrid only, {@code failover} over SendGrid and then SMTP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@EmbeddedKafka(
    partitions = 1,
    topics = {"notification.email.v1", "notification.delivery-status.v1"})
class EmailDeliveriesIT extends ChannelWorkerIT {

  private static final String TOPIC = "notification.email.v1";
  private static final int SMTP_PORT = FreePorts.next();
  private static final WireMockServer sendGrid =
      new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

  static {
    sendGrid.start();
  }

  @RegisterExtension
  static GreenMailExtension smtp =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withConfiguration(GreenMailConfiguration.aConfig().withDisabledAuthentication())
          .withPerMethodLifecycle(false);

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.mail.host", () -> "127.0.0.1");
    registry.add("spring.mail.port", () -> SMTP_PORT);
    registry.add("herald.email.sendgrid.base-url", sendGrid::baseUrl);
    registry.add("herald.email.sendgrid.api-key", () -> "SG.test-key");
    registry.add(
        "herald.email.unsubscribe-url",
        () ->
            "https://app.acme.example/unsubscribe?tenant={tenant}&user={user}&category={category}");
    registry.add("herald.worker.provider-order", () -> "smtp");
    registry.add("herald.worker.tenants.sg.provider-order", () -> "sendgrid");
    registry.add("herald.worker.tenants.failover.provider-order", () -> "sendgrid,smtp");
    // The circuit opens only when eight calls in a row fail.
    registry.add("herald.worker.providers.sendgrid.sliding-window", () -> 8);
    registry.add("herald.worker.providers.sendgrid.minimum-calls", () -> 8);
    registry.add("herald.worker.providers.sendgrid.failure-rate-threshold", () -> 100);
    registry.add("herald.worker.providers.sendgrid.open-for", () -> "60s");
  }

  @Autowired KafkaTemplate<String, SpecificRecord> kafka;
  @Autowired CircuitBreakerRegistry circuits;

  @AfterAll
  static void stopSendGrid() {
    sendGrid.stop();
  }

  @BeforeEach
  void resetProviders() {
    sendGrid.resetAll();
    sendGrid.stubFor(
        post(urlPathEqualTo("/v3/mail/send"))
            .willReturn(aResponse().withStatus(202).withHeader("X-Message-Id", "sg-message-1")));
    circuits.circuitBreaker("sendgrid").reset();
  }

  @Test
  void shouldSendMultipartMailWithUnsubscribeHeadersAndReportItSent() throws Exception {
    EmailDeliveryRequested delivery = delivery("acme", "bob@acme.example");
    delivery.setHtmlBody("<p>Hello Bob</p>");

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    MimeMessage mail = awaitMail(delivery.getDeliveryId());
    assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("bob@acme.example");
    assertThat(mail.getSubject()).isEqualTo("Welcome");
    assertThat(mail.getContent()).isInstanceOf(MimeMultipart.class);
    assertThat(mail.getContentType()).startsWith("multipart/");
    assertThat(mail.getMessageID()).isEqualTo("<" + delivery.getDeliveryId() + "@herald.local>");
    assertThat(mail.getHeader("List-Unsubscribe")[0])
        .isEqualTo("<https://app.acme.example/unsubscribe?tenant=acme&user=bob&category=account>");
    assertThat(mail.getHeader("List-Unsubscribe-Post")[0]).isEqualTo("List-Unsubscribe=One-Click");

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getProvider()).isEqualTo("smtp");
    assertThat(sent.getProviderMessageId()).isEqualTo(mail.getMessageID());
    assertThat(sent.getAttempt()).isEqualTo(1);
  }

  @Test
  void shouldLeaveUnsubscribeHeadersOffCriticalMail() throws Exception {
    EmailDeliveryRequested delivery = delivery("acme", "bob@acme.example");
    delivery.setCritical(true);

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    MimeMessage mail = awaitMail(delivery.getDeliveryId());
    assertThat(mail.getHeader("List-Unsubscribe")).isNull();
    assertThat(((String) mail.getContent()).trim()).isEqualTo("Hello Bob");
  }

  @Test
  void shouldNotSendARedeliveredEmailAgain() {
    EmailDeliveryRequested delivery = delivery("acme", "carol@acme.example");
    EmailDeliveryRequested marker = delivery("acme", "carol@acme.example");

    kafka.send(TOPIC, delivery.getUserId(), delivery);
    kafka.send(TOPIC, delivery.getUserId(), delivery);
    kafka.send(TOPIC, marker.getUserId(), marker);

    // One partition: once the marker is out, both copies were handled.
    awaitMail(marker.getDeliveryId());
    assertThat(mails(delivery.getDeliveryId())).hasSize(1);
    assertThat(statusesOf(delivery.getDeliveryId()))
        .filteredOn(DeliverySent.class::isInstance)
        .hasSize(1);
  }

  @Test
  void shouldSendOverSendGridWithItsContract() {
    EmailDeliveryRequested delivery = delivery("sg", "dave@globex.example");

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getProvider()).isEqualTo("sendgrid");
    assertThat(sent.getProviderMessageId()).isEqualTo("sg-message-1");
    sendGrid.verify(
        postRequestedFor(urlPathEqualTo("/v3/mail/send"))
            .withHeader("Authorization", equalTo("Bearer SG.test-key"))
            .withRequestBody(
                matchingJsonPath(
                    "$.personalizations[0].to[0].email", equalTo("dave@globex.example")))
            .withRequestBody(matchingJsonPath("$.from.email", equalTo("no-reply@herald.local")))
            .withRequestBody(matchingJsonPath("$.content[0].type", equalTo("text/plain")))
            .withRequestBody(
                matchingJsonPath(
                    "$.headers.X-Herald-Delivery-Id", equalTo(delivery.getDeliveryId()))));
  }

  @Test
  void shouldRetryATransientFailureThroughTheRetryTopicThenSucceed() {
    EmailDeliveryRequested delivery = delivery("sg", "erin@globex.example");
    sendGrid.stubFor(
        post(urlPathEqualTo("/v3/mail/send"))
            .withRequestBody(
                matchingJsonPath(
                    "$.personalizations[0].to[0].email", equalTo("erin@globex.example")))
            .inScenario("flaky")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(
                aResponse().withStatus(503).withBody("{\"errors\":[{\"message\":\"busy\"}]}"))
            .willSetStateTo("recovered"));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliverySent sent = awaitStatus(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getAttempt()).isEqualTo(2);
    DeliveryFailed first = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(first.getErrorCode()).isEqualTo("HTTP_503");
    assertThat(first.getRetryable()).isTrue();
    assertThat(first.getFinal$()).isFalse();
    assertThat(first.getAttempt()).isEqualTo(1);
    sendGrid.verify(2, postRequestedFor(urlPathEqualTo("/v3/mail/send")));
  }

  @Test
  void shouldDeadLetterWithAFinalFailureWhenRetriesAreExhausted() {
    EmailDeliveryRequested delivery = delivery("sg", "frank@globex.example");
    sendGrid.stubFor(
        post(urlPathEqualTo("/v3/mail/send"))
            .withRequestBody(
                matchingJsonPath(
                    "$.personalizations[0].to[0].email", equalTo("frank@globex.example")))
            .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "0")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    ConsumerRecord<String, byte[]> dead = awaitDeadLetter(TOPIC, delivery.getDeliveryId());
    assertThat(header(dead, "herald-error-code")).isEqualTo("HTTP_429");
    assertThat(header(dead, KafkaHeaders.DLT_EXCEPTION_MESSAGE))
        .contains("gave up after 3 attempts");
    List<DeliveryFailed> failures =
        statusesOf(delivery.getDeliveryId()).stream()
            .filter(DeliveryFailed.class::isInstance)
            .map(DeliveryFailed.class::cast)
            .toList();
    assertThat(failures).extracting(DeliveryFailed::getAttempt).containsExactly(1, 2, 3);
    assertThat(failures).extracting(DeliveryFailed::getFinal$).containsExactly(false, false, true);
    sendGrid.verify(3, postRequestedFor(urlPathEqualTo("/v3/mail/send")));
  }

  @Test
  void shouldDeadLetterAnInvalidRecipientAtOnceAndReportTheContactPointInvalid() {
    EmailDeliveryRequested delivery = delivery("sg", "nobody@invalid");
    sendGrid.stubFor(
        post(urlPathEqualTo("/v3/mail/send"))
            .withRequestBody(
                matchingJsonPath("$.personalizations[0].to[0].email", equalTo("nobody@invalid")))
            .willReturn(
                aResponse()
                    .withStatus(400)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"errors\":[{\"message\":\"Does not contain a valid address.\","
                            + "\"field\":\"personalizations.0.to.0.email\",\"help\":null}]}")));

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliveryFailed failed = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getRetryable()).isFalse();
    assertThat(failed.getAttempt()).isEqualTo(1);
    assertThat(failed.getErrorCode()).isEqualTo("HTTP_400");
    assertThat(failed.getReason()).contains("Does not contain a valid address");
    ContactPointInvalid invalid = awaitStatus(delivery.getDeliveryId(), ContactPointInvalid.class);
    assertThat(invalid.getContact()).isEqualTo("nobody@invalid");
    awaitDeadLetter(TOPIC, delivery.getDeliveryId());
    sendGrid.verify(1, postRequestedFor(urlPathEqualTo("/v3/mail/send")));
  }

  @Test
  void shouldReportAnUnparsableAddressAsInvalidWithoutCallingAProvider() {
    EmailDeliveryRequested delivery = delivery("acme", "not an address");

    kafka.send(TOPIC, delivery.getUserId(), delivery);

    DeliveryFailed failed = awaitStatus(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getErrorCode()).isEqualTo("ADDRESS_INVALID");
    assertThat(failed.getFinal$()).isTrue();
    awaitStatus(delivery.getDeliveryId(), ContactPointInvalid.class);
  }

  @Test
  void shouldFailOverToSmtpAndStopCallingSendGridOnceItsCircuitIsOpen() {
    sendGrid.stubFor(post(urlPathEqualTo("/v3/mail/send")).willReturn(aResponse().withStatus(500)));
    List<EmailDeliveryRequested> first = deliveries("failover", "first", 10);
    List<EmailDeliveryRequested> second = deliveries("failover", "second", 10);

    // The first ten fail at SendGrid (opening its circuit) and fail over to SMTP.
    first.forEach(d -> kafka.send(TOPIC, d.getUserId(), d));
    awaitMails(first);
    assertThat(circuits.circuitBreaker("sendgrid").getState()).isEqualTo(CircuitBreaker.State.OPEN);
    // The next ten go straight to SMTP: SendGrid is not called while its circuit is open.
    second.forEach(d -> kafka.send(TOPIC, d.getUserId(), d));
    awaitMails(second);

    for (EmailDeliveryRequested d : concat(first, second)) {
      assertThat(mails(d.getDeliveryId())).hasSize(1);
      DeliverySent sent = awaitStatus(d.getDeliveryId(), DeliverySent.class);
      assertThat(sent.getProvider()).isEqualTo("smtp");
      assertThat(sent.getAttempt()).isEqualTo(1);
    }
    assertThat(sendGrid.findAll(postRequestedFor(urlPathEqualTo("/v3/mail/send")))).hasSize(10);
  }

  private void awaitMails(List<EmailDeliveryRequested> deliveries) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> deliveries.stream().allMatch(d -> !mails(d.getDeliveryId()).isEmpty()));
  }

  private static List<EmailDeliveryRequested> deliveries(String tenant, String prefix, int n) {
    return java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> delivery(tenant, prefix + i + "@" + tenant + ".example"))
        .toList();
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  @Test
  void shouldDeadLetterAnUndecodableRecordAndKeepThePartitionFlowing() throws Exception {
    String marker = "undecodable-" + UUID.randomUUID();
    EmailDeliveryRequested after = delivery("acme", "grace@acme.example");

    produceRaw(TOPIC, "grace", ("garbage " + marker).getBytes(StandardCharsets.UTF_8));
    kafka.send(TOPIC, after.getUserId(), after);

    awaitMail(after.getDeliveryId());
    ConsumerRecord<String, byte[]> dead = awaitDeadLetter(TOPIC, marker);
    assertThat(header(dead, "herald-error-code")).isEqualTo("UNDECODABLE");
    assertThat(header(dead, KafkaHeaders.DLT_ORIGINAL_TOPIC)).isEqualTo(TOPIC);
    assertThat(header(dead, KafkaHeaders.DLT_EXCEPTION_MESSAGE)).startsWith("undecodable");
  }

  private MimeMessage awaitMail(String deliveryId) {
    await().atMost(Duration.ofSeconds(30)).until(() -> !mails(deliveryId).isEmpty());
    return mails(deliveryId).get(0);
  }

  private static List<MimeMessage> mails(String deliveryId) {
    return List.of(smtp.getReceivedMessages()).stream()
        .filter(m -> hasDeliveryId(m, deliveryId))
        .toList();
  }

  private static boolean hasDeliveryId(MimeMessage message, String deliveryId) {
    try {
      String[] header = message.getHeader("X-Herald-Delivery-Id");
      return header != null && header[0].equals(deliveryId);
    } catch (Exception e) {
      return false;
    }
  }

  private static EmailDeliveryRequested delivery(String tenant, String to) {
    return EmailDeliveryRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setDeliveryId(UUID.randomUUID().toString())
        .setNotificationId(UUID.randomUUID().toString())
        .setUserId("bob")
        .setTo(to)
        .setSubject("Welcome")
        .setTextBody("Hello Bob")
        .setCategory("account")
        .build();
  }
}
