package io.herald.notification.inbox;

import io.herald.support.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where a page of the inbox ends: the last item's creation time and id (the list's order), opaque
 * to clients. Keyset paging: items that arrive while a client pages are not seen twice or skipped,
 * they are simply newer than the first page.
 */
record InboxCursor(Instant createdAt, UUID id) {

  String encode() {
    String raw = createdAt.getEpochSecond() + "." + createdAt.getNano() + "|" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  static InboxCursor decode(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split("\\|", 2);
      String[] time = parts[0].split("\\.", 2);
      return new InboxCursor(
          Instant.ofEpochSecond(Long.parseLong(time[0]), Long.parseLong(time[1])),
          UUID.fromString(parts[1]));
    } catch (RuntimeException e) {
      throw ApiException.invalid(
          List.of(Map.of("field", "cursor", "message", "is not a cursor this API returned")));
    }
  }
}
