package io.herald.email.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Channel;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.EmailDeliveryRequested;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.BackOff;
import org.springframework.kafka.annotation.DltHandler;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.RetryableTopic;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.retrytopic.DltStrategy;
import org.springframework.kafka.retrytopic.RetryTopicHeaders;
import org.springframework.kafka.retrytopic.TopicSuffixingStrategy;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/**
 * Consumes {@code notification.email.v1}. A failed send is retried without blocking the partition
 * through {@code notification.email.v1-retry-1000}, {@code -retry-5000} and {@code -retry-25000},
 * then lands on {@code notification.email.v1-dlt}. Invalid addresses and undecodable records go to
 * the dead-letter topic at once. Each outcome is reported on {@code
 * notification.delivery-status.v1}.
 */
@Component
class EmailDeliveriesListener {

  private static final Logger log = LoggerFactory.getLogger(EmailDeliveriesListener.class);

  private final SmtpSender smtp;
  private final DeliveryLedger ledger;
  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final MeterRegistry meters;
  private final Clock clock = Clock.systemUTC();

  EmailDeliveriesListener(
      SmtpSender smtp,
      DeliveryLedger ledger,
      KafkaTemplate<String, SpecificRecord> kafka,
      MeterRegistry meters) {
    this.smtp = smtp;
    this.ledger = ledger;
    this.kafka = kafka;
    this.meters = meters;
  }

  @RetryableTopic(
      attempts = "4",
      backOff = @BackOff(delay = 1000, multiplier = 5.0, maxDelay = 60_000),
      topicSuffixingStrategy = TopicSuffixingStrategy.SUFFIX_WITH_DELAY_VALUE,
      exclude = {InvalidRecipientException.class, DeserializationException.class},
      numPartitions = "3",
      dltStrategy = DltStrategy.FAIL_ON_ERROR,
      kafkaTemplate = "defaultRetryTopicKafkaTemplate")
  @KafkaListener(
      id = "email-deliveries",
      topics = "notification.email.v1",
      groupId = "email-worker")
  void onEmail(
      EmailDeliveryRequested delivery,
      @Header(name = RetryTopicHeaders.DEFAULT_HEADER_ATTEMPTS, required = false) byte[] attempts) {
    int attempt = attempt(attempts);
    if (ledger.wasSent(delivery.getDeliveryId())) {
      meters.counter("herald.email.duplicates.skipped").increment();
      log.info("E-mail {} was sent before; not sending it again", delivery.getDeliveryId());
      return;
    }
    String messageId = smtp.send(delivery);
    recordSent(delivery, messageId);
    meters.counter("herald.email.sent").increment();
    log.info(
        "Sent e-mail {} of notification {} to user {} (attempt {})",
        delivery.getDeliveryId(),
        delivery.getNotificationId(),
        delivery.getUserId(),
        attempt);
    report(
        delivery.getNotificationId(),
        DeliverySent.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(delivery.getTenantId())
            .setOccurredAt(clock.instant())
            .setDeliveryId(delivery.getDeliveryId())
            .setNotificationId(delivery.getNotificationId())
            .setUserId(delivery.getUserId())
            .setChannel(Channel.EMAIL)
            .setProvider("smtp")
            .setProviderMessageId(messageId)
            .setAttempt(attempt)
            .build());
  }

  @DltHandler
  void onDeadLetter(ConsumerRecord<String, Object> record) {
    // Retry-topic dead letters carry kafka_exception-*, blocking ones kafka_dlt-exception-*.
    org.apache.kafka.common.header.Header reasonHeader =
        record.headers().lastHeader(KafkaHeaders.EXCEPTION_MESSAGE);
    if (reasonHeader == null) {
      reasonHeader = record.headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_MESSAGE);
    }
    String reason =
        reasonHeader == null ? "unknown" : new String(reasonHeader.value(), StandardCharsets.UTF_8);
    meters.counter("herald.email.dead-lettered").increment();
    if (!(record.value() instanceof EmailDeliveryRequested delivery)) {
      log.error("Undecodable record dead-lettered at offset {}: {}", record.offset(), reason);
      return;
    }
    log.error(
        "E-mail {} of notification {} failed for good: {}",
        delivery.getDeliveryId(),
        delivery.getNotificationId(),
        reason);
    report(
        delivery.getNotificationId(),
        DeliveryFailed.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(delivery.getTenantId())
            .setOccurredAt(clock.instant())
            .setDeliveryId(delivery.getDeliveryId())
            .setNotificationId(delivery.getNotificationId())
            .setUserId(delivery.getUserId())
            .setChannel(Channel.EMAIL)
            .setErrorCode("SMTP_FAILED")
            .setReason(reason)
            .setRetryable(false)
            .setFinal$(true)
            .setAttempt(0)
            .build());
  }

  /**
   * Status is reported after the fact; a failure to report is logged, not retried, since a retry
   * would send the e-mail again.
   */
  private void report(String notificationId, SpecificRecord status) {
    try {
      kafka
          .send(TopicCatalog.NOTIFICATION_DELIVERY_STATUS.name(), notificationId, status)
          .get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      meters.counter("herald.email.status.unreported").increment();
      log.error("Could not report delivery status of notification {}", notificationId, e);
    }
  }

  /**
   * A failure to record is logged, not retried: the e-mail is out, and a retry would send it again.
   */
  private void recordSent(EmailDeliveryRequested delivery, String messageId) {
    try {
      ledger.recordSent(delivery.getDeliveryId(), delivery.getTenantId(), messageId);
    } catch (RuntimeException e) {
      meters.counter("herald.email.ledger.unrecorded").increment();
      log.error("Could not record e-mail {} as sent", delivery.getDeliveryId(), e);
    }
  }

  private static int attempt(byte[] header) {
    return header == null || header.length != Integer.BYTES ? 1 : ByteBuffer.wrap(header).getInt();
  }
}
