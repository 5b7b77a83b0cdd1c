package io.herald.publishing.web;

import io.herald.support.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Where a page of a list ends, for keyset pagination: the last row's time and its id (and, for
 * attempts, the attempt number), as an opaque base64url token.
 *
 * <p>Example: {@code Cursor.decode(request).at()} continues after the row {@code Cursor.of(time,
 * id).encode()} came from.
 */
public record Cursor(Instant at, String id, int seq) {

  public static Cursor of(Instant at, String id) {
    return new Cursor(at, id, 0);
  }

  public String encode() {
    String raw = at.getEpochSecond() + "." + at.getNano() + "|" + seq + "|" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** Null for no cursor; a 400 problem for one this API did not give out. */
  public static Cursor decode(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split("\\|", 3);
      String[] time = parts[0].split("\\.");
      return new Cursor(
          Instant.ofEpochSecond(Long.parseLong(time[0]), Long.parseLong(time[1])),
          parts[2],
          Integer.parseInt(parts[1]));
    } catch (RuntimeException e) {
      throw invalid("cursor", "not a cursor this API gave out");
    }
  }

  /** A 400 {@code validation-failed} problem about one query parameter. */
  public static ApiException invalid(String field, String message) {
    return new ApiException(
        HttpStatus.BAD_REQUEST,
        "validation-failed",
        "The request is not valid.",
        List.of(Map.of("field", field, "message", message)));
  }
}
