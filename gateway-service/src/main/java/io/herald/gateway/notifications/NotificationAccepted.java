package io.herald.gateway.notifications;

/**
 * Body of the {@code 202 Accepted} answer: the id to follow the notification by.
 *
 * <p>Example: {@code {"requestId": "5f0c...", "status": "ACCEPTED"}}.
 */
public record NotificationAccepted(String requestId, String status) {

  static NotificationAccepted of(String requestId) {
    return new NotificationAccepted(requestId, "ACCEPTED");
  }
}
