package io.herald.notification.fanout;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.notification.inbox.InboxItem;
import io.herald.notification.inbox.InboxRepository;
import io.herald.notification.subscribers.Subscriber;
import io.herald.notification.subscribers.SubscriberRepository;
import io.herald.support.kafka.PoisonRecordException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Service;

/**
 * Turns one {@link NotificationRequested} into inbox items and channel deliveries, once.
 *
 * <p>Redelivery is safe: an inbox item is unique per notification and user, and a channel delivery
 * (its id derived from notification, user and channel) is handed to its topic only if it was not
 * recorded before. A crash between the broker's acknowledgement and the record can hand one
 * delivery over twice; workers drop the repeat by delivery id.
 */
@Service
class FanOut {

  private static final Logger log = LoggerFactory.getLogger(FanOut.class);
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  private final SubscriberRepository subscribers;
  private final InboxRepository inbox;
  private final DeliveryRepository deliveries;
  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final MeterRegistry meters;
  private final Clock clock = Clock.systemUTC();

  FanOut(
      SubscriberRepository subscribers,
      InboxRepository inbox,
      DeliveryRepository deliveries,
      KafkaTemplate<String, SpecificRecord> kafka,
      MeterRegistry meters) {
    this.subscribers = subscribers;
    this.inbox = inbox;
    this.deliveries = deliveries;
    this.kafka = kafka;
    this.meters = meters;
  }

  void handle(NotificationRequested request) {
    if (isBlank(request.getTitle()) || isBlank(request.getBody())) {
      throw new PoisonRecordException(
          "notification " + request.getRequestId() + " has no title and body to render");
    }
    List<Subscriber> recipients =
        subscribers
            .resolveAudience(
                request.getTenantId(),
                request.getAudience().getUserIds(),
                request.getAudience().getRoles())
            .block(STEP_TIMEOUT);
    if (recipients == null || recipients.isEmpty()) {
      log.info("Notification {} has no recipients", request.getRequestId());
      return;
    }
    for (Subscriber recipient : recipients) {
      for (Channel channel : request.getChannels()) {
        switch (channel) {
          case IN_APP -> toInbox(request, recipient);
          case EMAIL ->
              toChannel(
                  request,
                  recipient,
                  channel,
                  recipient.email(),
                  TopicCatalog.NOTIFICATION_EMAIL,
                  this::email);
          case WHATSAPP ->
              toChannel(
                  request,
                  recipient,
                  channel,
                  recipient.phone(),
                  TopicCatalog.NOTIFICATION_WHATSAPP,
                  this::whatsApp);
          default -> skipped(channel, "unsupported-channel", request, recipient);
        }
      }
    }
  }

  private void toInbox(NotificationRequested request, Subscriber recipient) {
    InboxItem item =
        inbox
            .insertIfAbsent(
                request.getTenantId(),
                recipient.userId(),
                request.getRequestId(),
                request.getCategory(),
                request.getTitle(),
                request.getBody(),
                Map.copyOf(request.getData()),
                clock.instant())
            .block(STEP_TIMEOUT);
    if (item == null) {
      log.debug("Inbox item of {} for {} exists", request.getRequestId(), recipient.userId());
      return;
    }
    meters.counter("herald.notification.inbox.items.created").increment();
    send(
        TopicCatalog.NOTIFICATION_INBOX.name(),
        recipient.userId(),
        InboxItemCreated.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(request.getTenantId())
            .setOccurredAt(clock.instant())
            .setUserId(recipient.userId())
            .setItemId(item.id())
            .setNotificationId(item.notificationId())
            .setCategory(item.category())
            .setTitle(item.title())
            .setBody(item.body())
            .setData(item.data())
            .setCreatedAt(item.createdAt())
            .build());
  }

  /** Renders one channel's delivery for one recipient's contact point. */
  @FunctionalInterface
  private interface Renderer {
    SpecificRecord render(
        NotificationRequested request, Subscriber recipient, String deliveryId, String contact);
  }

  private void toChannel(
      NotificationRequested request,
      Subscriber recipient,
      Channel channel,
      Optional<String> contact,
      TopicSpec topic,
      Renderer renderer) {
    if (contact.isEmpty()) {
      skipped(channel, "no-contact", request, recipient);
      return;
    }
    UUID deliveryId = deliveryId(request, recipient, channel);
    handOver(
        request,
        recipient,
        channel,
        deliveryId,
        topic.name(),
        renderer.render(request, recipient, deliveryId.toString(), contact.get()));
  }

  private EmailDeliveryRequested email(
      NotificationRequested request, Subscriber recipient, String deliveryId, String address) {
    return EmailDeliveryRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(request.getTenantId())
        .setOccurredAt(clock.instant())
        .setDeliveryId(deliveryId)
        .setNotificationId(request.getRequestId())
        .setUserId(recipient.userId())
        .setTo(address)
        .setSubject(request.getTitle())
        .setTextBody(request.getBody())
        .setCategory(request.getCategory())
        .build();
  }

  private WhatsAppDeliveryRequested whatsApp(
      NotificationRequested request, Subscriber recipient, String deliveryId, String phone) {
    return WhatsAppDeliveryRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(request.getTenantId())
        .setOccurredAt(clock.instant())
        .setDeliveryId(deliveryId)
        .setNotificationId(request.getRequestId())
        .setUserId(recipient.userId())
        .setPhoneNumber(phone)
        .setText(request.getTitle() + "\n\n" + request.getBody())
        .setCategory(request.getCategory())
        .build();
  }

  private void handOver(
      NotificationRequested request,
      Subscriber recipient,
      Channel channel,
      UUID deliveryId,
      String topic,
      SpecificRecord delivery) {
    if (Boolean.TRUE.equals(deliveries.exists(deliveryId).block(STEP_TIMEOUT))) {
      log.debug("Delivery {} already handed over", deliveryId);
      return;
    }
    send(topic, recipient.userId(), delivery);
    deliveries
        .record(
            deliveryId,
            request.getTenantId(),
            request.getRequestId(),
            recipient.userId(),
            channel.name())
        .block(STEP_TIMEOUT);
    meters
        .counter("herald.notification.deliveries.requested", "channel", channel.name())
        .increment();
  }

  private void send(String topic, String key, SpecificRecord event) {
    try {
      kafka.send(topic, key, event).get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      // Rethrown so that the record is retried, then dead-lettered: nothing is dropped.
      throw new IllegalStateException("could not send to " + topic, e);
    }
  }

  private void skipped(
      Channel channel, String reason, NotificationRequested request, Subscriber recipient) {
    meters
        .counter(
            "herald.notification.deliveries.skipped", "channel", channel.name(), "reason", reason)
        .increment();
    log.info(
        "Notification {}: no {} delivery for user {} ({})",
        request.getRequestId(),
        channel,
        recipient.userId(),
        reason);
  }

  /** The same notification, user and channel always give the same delivery id. */
  static UUID deliveryId(NotificationRequested request, Subscriber recipient, Channel channel) {
    String name =
        request.getTenantId()
            + '\u0000'
            + request.getRequestId()
            + '\u0000'
            + recipient.userId()
            + '\u0000'
            + channel.name();
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
