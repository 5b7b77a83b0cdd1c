package io.herald.publishing.jobs;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a publishing job is. */
public enum JobState {
  /** Waiting for its {@code scheduledAt}. */
  SCHEDULED,
  /** Due now. */
  PENDING,
  /** An attempt is under way under a lease. */
  RUNNING,
  /** The last attempt failed transiently; the next is due at {@code dueAt}. */
  RETRYING,
  PUBLISHED,
  /** For good: a permanent error, or the last attempt failed. */
  FAILED,
  CANCELLED;

  public boolean terminal() {
    return this == PUBLISHED || this == FAILED || this == CANCELLED;
  }

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobState fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
