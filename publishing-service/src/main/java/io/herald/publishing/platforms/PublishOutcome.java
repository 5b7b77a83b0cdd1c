package io.herald.publishing.platforms;

import java.time.Duration;

/** What a platform answered to one publishing call. */
public sealed interface PublishOutcome {

  /** The HTTP status the platform answered with; 0 when it was not reached. */
  int status();

  /**
   * The post is on the platform.
   *
   * @param foundEarlier the post was found on the account, made by an earlier attempt whose answer
   *     was lost; this attempt did not post again
   */
  record Published(String platformPostId, String url, int status, boolean foundEarlier)
      implements PublishOutcome {

    public Published(String platformPostId, String url, int status) {
      this(platformPostId, url, status, false);
    }
  }

  /**
   * Worth another attempt: a timeout, a connection error, 5xx, 429.
   *
   * @param retryAfter how long the platform asked to wait; null when it did not say
   */
  record Transient(String code, String message, Duration retryAfter, int status)
      implements PublishOutcome {

    /** Timed out, or the connection dropped once the request was out: the post may exist. */
    public static final String TIMEOUT = "TIMEOUT";

    public static final String CONNECTION_LOST = "CONNECTION_LOST";

    /** Whether the platform may have made the post even though no answer arrived. */
    public boolean mayHavePosted() {
      return TIMEOUT.equals(code) || CONNECTION_LOST.equals(code);
    }
  }

  /** No attempt can fix it: content rejected, authorization revoked, a malformed request. */
  record Permanent(String code, String message, int status) implements PublishOutcome {}
}
