package io.herald.worker;

import java.util.concurrent.CompletableFuture;

/**
 * One provider of one channel (an SMTP server, the WhatsApp Cloud API, FCM). Implementations map
 * the provider's protocol and errors to a {@link SendOutcome}; the skeleton adds the circuit
 * breaker, rate limiting, concurrency bounds, timeouts and metrics around them.
 *
 * <p>Example: {@code new SmtpProvider(...)} with {@link #name()} {@code smtp}; its settings are
 * {@code herald.worker.providers.smtp.*}.
 *
 * @param <T> the channel's delivery record
 */
public interface DeliveryProvider<T> {

  /** Stable, low-cardinality name used in settings, metrics and status events. */
  String name();

  /**
   * The provider account a delivery is sent from (a WhatsApp phone number id); each account has its
   * own rate limiter.
   */
  default String account(T delivery, DeliveryRef ref) {
    return "default";
  }

  /**
   * Sends without blocking the caller. The future completes with the outcome; a future completed
   * exceptionally is classified by {@link SendOutcome#ofFailure}.
   *
   * @param attempt 1 for the first attempt
   */
  CompletableFuture<SendOutcome> send(T delivery, DeliveryRef ref, int attempt);
}
