package io.herald.support.events;

import io.herald.events.v1.Channel;
import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliveryRead;
import io.herald.events.v1.DeliverySent;
import java.time.Clock;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Builds the events of {@code notification.delivery-status.v1}, each with its envelope (a fresh
 * event id, the tenant, the time) and the ids of the delivery it is about.
 *
 * <p>Example: {@code events.sent(subject, "smtp", "<abc@mail>", 1)} for the first attempt that an
 * SMTP server accepted.
 */
public final class DeliveryEvents {

  /**
   * The delivery an event is about.
   *
   * <p>Providers that echo an opaque value back in their status callbacks (WhatsApp's {@code
   * biz_opaque_callback_data}) get {@link #callbackData()}, so that a webhook can name the delivery
   * without a lookup: {@code Subject.ofCallbackData(data, Channel.WHATSAPP)}.
   */
  public record Subject(
      String tenantId, String notificationId, String deliveryId, String userId, Channel channel) {

    private static final String CALLBACK_VERSION = "h1";

    /** {@code h1|tenant|notification|delivery|user}, each part percent-encoded. */
    public String callbackData() {
      return String.join(
          "|",
          CALLBACK_VERSION,
          encode(tenantId),
          encode(notificationId),
          encode(deliveryId),
          encode(userId));
    }

    /** The subject of {@link #callbackData()}, or empty when the value is not Herald's. */
    public static java.util.Optional<Subject> ofCallbackData(String data, Channel channel) {
      if (data == null) {
        return java.util.Optional.empty();
      }
      String[] parts = data.split("\\|", -1);
      if (parts.length != 5 || !CALLBACK_VERSION.equals(parts[0])) {
        return java.util.Optional.empty();
      }
      try {
        return java.util.Optional.of(
            new Subject(
                decode(parts[1]), decode(parts[2]), decode(parts[3]), decode(parts[4]), channel));
      } catch (IllegalArgumentException e) {
        return java.util.Optional.empty();
      }
    }

    private static String encode(String part) {
      return java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String decode(String part) {
      return java.net.URLDecoder.decode(part, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private final Clock clock;

  public DeliveryEvents(Clock clock) {
    this.clock = clock;
  }

  public DeliverySent sent(
      Subject subject, String provider, String providerMessageId, int attempt) {
    DeliverySent event = envelope(new DeliverySent(), subject);
    event.setProvider(provider);
    event.setProviderMessageId(providerMessageId);
    event.setAttempt(attempt);
    return event;
  }

  /**
   * @param retryable whether the failure was of a kind that a later attempt could overcome
   * @param last whether no further attempt will be made
   */
  public DeliveryFailed failed(
      Subject subject,
      String errorCode,
      String reason,
      boolean retryable,
      boolean last,
      int attempt) {
    DeliveryFailed event = envelope(new DeliveryFailed(), subject);
    event.setErrorCode(errorCode);
    event.setReason(reason);
    event.setRetryable(retryable);
    event.setFinal$(last);
    event.setAttempt(attempt);
    return event;
  }

  public DeliveryDelivered delivered(Subject subject, String providerMessageId) {
    DeliveryDelivered event = envelope(new DeliveryDelivered(), subject);
    event.setProviderMessageId(providerMessageId);
    return event;
  }

  public DeliveryRead read(Subject subject) {
    return envelope(new DeliveryRead(), subject);
  }

  public ContactPointInvalid contactPointInvalid(Subject subject, String contact, String reason) {
    ContactPointInvalid event = envelope(new ContactPointInvalid(), subject);
    event.setContact(contact);
    event.setReason(reason);
    return event;
  }

  private <R extends SpecificRecordBase> R envelope(R event, Subject subject) {
    stamp(
        event,
        UUID.randomUUID().toString(),
        subject.tenantId(),
        clock.instant(),
        subject.deliveryId(),
        subject.notificationId(),
        subject.userId());
    set(event, "channel", subject.channel());
    return event;
  }

  /**
   * Fills the envelope and the ids that delivery records and delivery events carry, by field name
   * (a field the record does not have is left out): {@code eventId}, {@code tenantId}, {@code
   * occurredAt}, {@code deliveryId}, {@code notificationId}, {@code userId}.
   *
   * <p>Example: {@code DeliveryEvents.stamp(new EmailDeliveryRequested(), eventId, "acme", now,
   * deliveryId, requestId, "bob")}, then the channel's own fields with its setters.
   */
  public static <R extends SpecificRecordBase> R stamp(
      R record,
      String eventId,
      String tenantId,
      java.time.Instant occurredAt,
      String deliveryId,
      String notificationId,
      String userId) {
    set(record, "eventId", eventId);
    set(record, "tenantId", tenantId);
    set(record, "occurredAt", occurredAt);
    set(record, "deliveryId", deliveryId);
    set(record, "notificationId", notificationId);
    set(record, "userId", userId);
    return record;
  }

  /** Envelope fields that an event type does not have (ContactPointInvalid has no delivery id). */
  private static void set(SpecificRecordBase event, String field, Object value) {
    Schema.Field f = event.getSchema().getField(field);
    if (f != null) {
      event.put(f.pos(), value);
    }
  }
}
