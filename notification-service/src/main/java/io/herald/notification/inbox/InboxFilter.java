package io.herald.notification.inbox;

import io.herald.support.web.ApiException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which of a user's items a list shows.
 *
 * @param status {@code all} (default), {@code unread} or {@code read}
 * @param archived false (default): the inbox; true: the archive
 * @param category only items of this category; null: every category
 * @param seen true: only seen items; false: only unseen; null: both
 */
record InboxFilter(String status, boolean archived, String category, Boolean seen) {

  static InboxFilter of(String status, Boolean archived, String category, Boolean seen) {
    String s = status == null || status.isBlank() ? "all" : status.toLowerCase(Locale.ROOT);
    if (!List.of("all", "unread", "read").contains(s)) {
      throw ApiException.invalid(
          List.of(Map.of("field", "status", "message", "is one of all, unread, read")));
    }
    return new InboxFilter(
        s,
        Boolean.TRUE.equals(archived),
        category == null || category.isBlank() ? null : category,
        seen);
  }
}
