package io.herald.notification.inbox;

import java.time.Instant;
import java.util.Map;

/**
 * One item of a user's in-app inbox, as the API shows it.
 *
 * <p>Example JSON: {@code {"id": "9b1d...", "notificationId": "5f0c...", "category": "account",
 * "title": "Welcome", "body": "Hello Bob", "data": {}, "createdAt": "2026-01-01T10:00:00Z",
 * "readAt": null}}.
 */
public record InboxItem(
    String id,
    String notificationId,
    String category,
    String title,
    String body,
    Map<String, String> data,
    Instant createdAt,
    Instant readAt) {}
