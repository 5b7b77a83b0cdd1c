package io.herald.gateway.webhooks;

import io.herald.events.v1.Channel;
import io.herald.events.v1.DeliveryFailed;
import io.herald.support.events.DeliveryEvents;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecordBase;
import tools.jackson.databind.JsonNode;

/**
 * Turns the {@code statuses} of a WhatsApp Cloud API webhook into Herald's delivery-status events:
 * {@code delivered} → {@code DeliveryDelivered}, {@code read} → {@code DeliveryRead}, {@code
 * failed} → {@code DeliveryFailed(final)} (and {@code ContactPointInvalid} for 131026). {@code
 * sent} adds nothing: the worker reported {@code DeliverySent} when the Cloud API accepted the
 * message. The delivery is named by the {@code biz_opaque_callback_data} the worker sent; statuses
 * without it are not Herald's and are skipped.
 *
 * <p>Event ids are derived from the message id and the status, so a callback Meta delivers twice
 * yields the same events, which consumers drop by event id.
 */
final class WhatsAppStatuses {

  /** One status of a callback and what became of it. */
  record Status(String status, Optional<SpecificRecordBase> event, String note) {}

  private final DeliveryEvents events;

  WhatsAppStatuses(Clock clock) {
    this.events = new DeliveryEvents(clock);
  }

  List<Status> read(JsonNode callback) {
    List<Status> out = new ArrayList<>();
    for (JsonNode entry : callback.path("entry")) {
      for (JsonNode change : entry.path("changes")) {
        for (JsonNode status : change.path("value").path("statuses")) {
          out.addAll(map(status));
        }
      }
    }
    return out;
  }

  private List<Status> map(JsonNode status) {
    String kind = status.path("status").asString("");
    String messageId = status.path("id").asString("");
    Optional<DeliveryEvents.Subject> subject =
        DeliveryEvents.Subject.ofCallbackData(
            status.path("biz_opaque_callback_data").asString(null), Channel.WHATSAPP);
    if (subject.isEmpty()) {
      return List.of(new Status(kind, Optional.empty(), "uncorrelated"));
    }
    DeliveryEvents.Subject s = subject.get();
    Instant at = timestamp(status);
    List<Status> out = new ArrayList<>();
    switch (kind) {
      case "delivered" ->
          out.add(found(kind, stamped(events.delivered(s, messageId), messageId, kind, at)));
      case "read" -> out.add(found(kind, stamped(events.read(s), messageId, kind, at)));
      case "failed" -> {
        JsonNode error = status.path("errors").path(0);
        String code = error.path("code").asString("FAILED");
        String reason =
            error
                .path("error_data")
                .path("details")
                .asString(error.path("title").asString("failed"));
        DeliveryFailed failed = events.failed(s, code, reason, false, true, 0);
        out.add(found(kind, stamped(failed, messageId, kind, at)));
        if ("131026".equals(code)) {
          String phone = "+" + status.path("recipient_id").asString("");
          out.add(
              found(
                  kind,
                  stamped(events.contactPointInvalid(s, phone, reason), messageId, "invalid", at)));
        }
      }
      default -> out.add(new Status(kind, Optional.empty(), "ignored"));
    }
    return out;
  }

  private static Status found(String kind, SpecificRecordBase event) {
    return new Status(kind, Optional.of(event), "published");
  }

  private static <R extends SpecificRecordBase> R stamped(
      R event, String messageId, String kind, Instant at) {
    event.put(
        "eventId",
        UUID.nameUUIDFromBytes(
                ("whatsapp|" + messageId + "|" + kind).getBytes(StandardCharsets.UTF_8))
            .toString());
    if (at != null) {
      event.put("occurredAt", at);
    }
    return event;
  }

  private static Instant timestamp(JsonNode status) {
    try {
      return Instant.ofEpochSecond(Long.parseLong(status.path("timestamp").asString("")));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
