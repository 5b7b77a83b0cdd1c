package io.herald.gateway.notifications;

import java.time.Instant;

/**
 * Body of the {@code 202 Accepted} answer: the id to follow the notification by, and for a
 * notification held for later, when it is due.
 *
 * <p>Example: {@code {"requestId": "5f0c...", "status": "ACCEPTED", "sendAt": null, "localTime":
 * null}}, {@code {"requestId": "5f0c...", "status": "SCHEDULED", "sendAt": "2026-12-24T09:00:00Z",
 * "localTime": null}}.
 */
public record NotificationAccepted(
    String requestId, String status, Instant sendAt, String localTime) {

  static NotificationAccepted of(String requestId) {
    return new NotificationAccepted(requestId, "ACCEPTED", null, null);
  }

  static NotificationAccepted scheduled(String requestId, Instant sendAt) {
    return new NotificationAccepted(requestId, "SCHEDULED", sendAt, null);
  }

  /** Held until {@code localTime} in each recipient's own time zone. */
  static NotificationAccepted atLocalTime(String requestId, String localTime) {
    return new NotificationAccepted(requestId, "SCHEDULED", null, localTime);
  }

  static NotificationAccepted cancelRequested(String requestId) {
    return new NotificationAccepted(requestId, "CANCEL_REQUESTED", null, null);
  }
}
