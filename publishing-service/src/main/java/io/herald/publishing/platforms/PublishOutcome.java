package io.herald.publishing.platforms;

import java.time.Duration;

/** What a platform answered to one publishing call. */
public sealed interface PublishOutcome {

  /** The HTTP status the platform answered with; 0 when it was not reached. */
  int status();

  /** The post is on the platform. */
  record Published(String platformPostId, String url, int status) implements PublishOutcome {}

  /**
   * Worth another attempt: a timeout, a connection error, 5xx, 429.
   *
   * @param retryAfter how long the platform asked to wait; null when it did not say
   */
  record Transient(String code, String message, Duration retryAfter, int status)
      implements PublishOutcome {}

  /** No attempt can fix it: content rejected, authorization revoked, a malformed request. */
  record Permanent(String code, String message, int status) implements PublishOutcome {}
}
