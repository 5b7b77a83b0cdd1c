package io.herald.worker;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * A provider's answer to one send, classified the same way for every channel.
 *
 * <ul>
 *   <li>{@link Accepted}: the provider took the message; it is not sent again.
 *   <li>{@link Transient}: a later attempt may succeed (timeouts, connection errors, 5xx, 429 and
 *       provider throttling codes); the delivery goes to a retry topic, no sooner than {@code
 *       retryAfter} when the provider gave one.
 *   <li>{@link Permanent}: no attempt can succeed as things are (invalid recipient, rejected
 *       content, credentials a retry cannot fix); final failure and the dead-letter topic at once.
 * </ul>
 */
public sealed interface SendOutcome {

  /** How a permanent failure is reported beyond {@code DeliveryFailed(final=true)}. */
  enum Cause {
    /** The provider refused the content or the request. */
    REJECTED,
    /** The address, number or token is dead: {@code ContactPointInvalid} is emitted too. */
    CONTACT_INVALID,
    /** Herald's credentials or account settings are wrong: an operator must act. */
    CONFIGURATION
  }

  /**
   * The provider's code of the failure, e.g. {@code 131026}, {@code SMTP_550}, {@code HTTP_503}.
   */
  default String code() {
    return null;
  }

  record Accepted(String providerMessageId) implements SendOutcome {}

  /**
   * @param retryAfter the provider's {@code Retry-After}, or null
   */
  record Transient(String code, String message, Duration retryAfter) implements SendOutcome {

    public Transient(String code, String message) {
      this(code, message, null);
    }
  }

  record Permanent(String code, String message, Cause cause) implements SendOutcome {}

  /**
   * Not attempted: the provider's circuit is open or its rate limit leaves no permit in time. The
   * attempt is not counted; the delivery waits in a retry topic for at least {@code delay}.
   */
  record Deferred(String code, String message, Duration delay) implements SendOutcome {}

  /**
   * The outcome of a send that ended in an exception instead of an answer: timeouts and I/O errors
   * are transient, and so is anything unforeseen, since dropping a delivery on an unknown error is
   * worse than trying it again.
   */
  static SendOutcome ofFailure(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof TimeoutException) {
      return new Transient("TIMEOUT", "no answer from the provider in time");
    }
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof IOException) {
        return new Transient("CONNECTION", c.getClass().getSimpleName() + ": " + c.getMessage());
      }
    }
    return new Transient(
        "PROVIDER_ERROR", cause.getClass().getSimpleName() + ": " + cause.getMessage());
  }
}
