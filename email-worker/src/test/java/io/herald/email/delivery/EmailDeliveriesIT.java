package io.herald.email.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.herald.events.v1.Channel;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.FreePorts;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** email-worker against a real KRaft broker, Apicurio Registry and GreenMail SMTP server. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(partitions = 1, topics = "notification.delivery-status.v1")
class EmailDeliveriesIT {

  private static final int SMTP_PORT = FreePorts.next();

  @RegisterExtension
  static GreenMailExtension smtp =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withConfiguration(GreenMailConfiguration.aConfig().withDisabledAuthentication())
          .withPerMethodLifecycle(false);

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    PostgresTestDatabase.shared().register(registry);
    registry.add("herald.registry-url", () -> ApicurioRegistryServer.shared().url());
    registry.add("spring.mail.host", () -> "127.0.0.1");
    registry.add("spring.mail.port", () -> SMTP_PORT);
  }

  @Autowired KafkaTemplate<String, SpecificRecord> kafka;
  @Autowired EmbeddedKafkaBroker broker;

  private KafkaConsumer<String, Object> statuses;

  @BeforeEach
  void subscribeToStatuses() {
    statuses =
        KafkaTestClients.avroConsumer(
            broker.getBrokersAsString(), "notification.delivery-status.v1");
  }

  @AfterEach
  void close() {
    statuses.close();
  }

  @Test
  void shouldSendTheMailAndReportItSent() throws Exception {
    EmailDeliveryRequested delivery = delivery("bob@acme.example");

    kafka.send("notification.email.v1", delivery.getUserId(), delivery);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                List.of(smtp.getReceivedMessages()).stream()
                    .anyMatch(m -> hasDeliveryId(m, delivery.getDeliveryId())));
    MimeMessage mail =
        List.of(smtp.getReceivedMessages()).stream()
            .filter(m -> hasDeliveryId(m, delivery.getDeliveryId()))
            .findFirst()
            .orElseThrow();
    assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("bob@acme.example");
    assertThat(mail.getSubject()).isEqualTo("Welcome");
    assertThat(((String) mail.getContent()).trim()).isEqualTo("Hello Bob");

    DeliverySent sent = statusOf(delivery.getDeliveryId(), DeliverySent.class);
    assertThat(sent.getChannel()).isEqualTo(Channel.EMAIL);
    assertThat(sent.getProvider()).isEqualTo("smtp");
    assertThat(sent.getAttempt()).isEqualTo(1);
  }

  @Test
  void shouldNotSendARedeliveredEmailAgain() {
    EmailDeliveryRequested delivery = delivery("carol@acme.example");
    EmailDeliveryRequested marker = delivery("carol@acme.example");

    kafka.send("notification.email.v1", delivery.getUserId(), delivery);
    kafka.send("notification.email.v1", delivery.getUserId(), delivery);
    kafka.send("notification.email.v1", marker.getUserId(), marker);

    // Same key, same partition: once the marker is out, both copies were handled.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                List.of(smtp.getReceivedMessages()).stream()
                    .anyMatch(m -> hasDeliveryId(m, marker.getDeliveryId())));
    assertThat(
            List.of(smtp.getReceivedMessages()).stream()
                .filter(m -> hasDeliveryId(m, delivery.getDeliveryId())))
        .hasSize(1);
  }

  @Test
  void shouldDeadLetterAnInvalidAddressAtOnceAndReportFinalFailure() {
    EmailDeliveryRequested delivery = delivery("not an address");

    kafka.send("notification.email.v1", delivery.getUserId(), delivery);

    DeliveryFailed failed = statusOf(delivery.getDeliveryId(), DeliveryFailed.class);
    assertThat(failed.getFinal$()).isTrue();
    assertThat(failed.getReason()).contains("not valid");
  }

  private <T extends SpecificRecord> T statusOf(String deliveryId, Class<T> type) {
    return KafkaTestClients.awaitValues(
            statuses,
            type,
            status -> deliveryId.equals(String.valueOf(((GenericRecord) status).get("deliveryId"))),
            1)
        .get(0);
  }

  private static boolean hasDeliveryId(MimeMessage message, String deliveryId) {
    try {
      String[] header = message.getHeader("X-Herald-Delivery-Id");
      return header != null && header[0].equals(deliveryId);
    } catch (Exception e) {
      return false;
    }
  }

  private static EmailDeliveryRequested delivery(String to) {
    return EmailDeliveryRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId("acme")
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
