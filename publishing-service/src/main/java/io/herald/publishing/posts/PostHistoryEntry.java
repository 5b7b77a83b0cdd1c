package io.herald.publishing.posts;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;

/**
 * One event consumed for a post, as its history shows it: applied (from one state to another) or
 * refused (with the reason).
 */
public record PostHistoryEntry(
    String eventId,
    String tenantId,
    String postId,
    String type,
    String actor,
    Outcome outcome,
    PostState fromState,
    PostState toState,
    String detail,
    Instant occurredAt) {

  /** Whether the event changed the post. */
  public enum Outcome {
    APPLIED,
    REFUSED;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
