package io.herald.publishing.posts;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Where a post is in its life: drafted, reviewed, then published to its platforms.
 *
 * <pre>
 * draft ─submit─▶ pending_approval ─approve─▶ approved ─publish─▶ scheduled | publishing
 *   ▲                    │                                   scheduled ─due─▶ publishing
 *   └──update── rejected ◀┘reject            publishing ─▶ published | partially_published | failed
 * scheduled ─cancel─▶ cancelled                     failed | partially_published ─retry─▶ publishing
 * </pre>
 */
public enum PostState {
  DRAFT,
  PENDING_APPROVAL,
  APPROVED,
  REJECTED,
  SCHEDULED,
  PUBLISHING,
  PUBLISHED,
  PARTIALLY_PUBLISHED,
  FAILED,
  CANCELLED;

  /** The name in the API and the database: {@code pending_approval}. */
  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@link #wire()}; empty for an unknown name. */
  public static java.util.Optional<PostState> fromWire(String value) {
    for (PostState state : values()) {
      if (state.wire().equals(value)) {
        return java.util.Optional.of(state);
      }
    }
    return java.util.Optional.empty();
  }
}
