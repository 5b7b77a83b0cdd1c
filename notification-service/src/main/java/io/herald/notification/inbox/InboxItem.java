package io.herald.notification.inbox;

import java.time.Instant;
import java.util.Map;

/**
 * One item of a user's in-app inbox, as the API shows it.
 *
 * <p>Example JSON: {@code {"id": "9b1d...", "notificationId": "5f0c...", "category": "account",
 * "title": "Welcome", "body": "Hello Bob", "data": {}, "createdAt": "2026-01-01T10:00:00Z",
 * "readAt": null, "seenAt": null, "archivedAt": null}}.
 */
public record InboxItem(
    String id,
    String notificationId,
    String category,
    String title,
    String body,
    Map<String, String> data,
    Instant createdAt,
    Instant readAt,
    Instant seenAt,
    Instant archivedAt) {

  /** A new item, as it is stored: unread, unseen, in the inbox. */
  public InboxItem(
      String id,
      String notificationId,
      String category,
      String title,
      String body,
      Map<String, String> data,
      Instant createdAt,
      Instant readAt) {
    this(id, notificationId, category, title, body, data, createdAt, readAt, null, null);
  }
}
