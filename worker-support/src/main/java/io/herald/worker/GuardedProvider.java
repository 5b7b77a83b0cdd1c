package io.herald.worker;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.herald.support.tracing.RecordTracing;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A provider behind its circuit breaker, its per-account rate limiters, a bound on sends in flight
 * and a timeout. A send the circuit or the rate limiter does not let through is {@link
 * SendOutcome.Deferred}, not failed: it costs the delivery no attempt.
 */
final class GuardedProvider<T> {

  private final DeliveryProvider<T> provider;
  private final WorkerProperties.ProviderSettings settings;
  private final CircuitBreaker breaker;
  private final RateLimiterRegistry limiters;
  private final Semaphore inFlight;
  private final DeliveryMetrics metrics;
  private final RecordTracing tracing;

  GuardedProvider(
      DeliveryProvider<T> provider,
      WorkerProperties.ProviderSettings settings,
      CircuitBreakerRegistry breakers,
      RateLimiterRegistry limiters,
      DeliveryMetrics metrics,
      RecordTracing tracing) {
    this.provider = provider;
    this.settings = settings;
    this.breaker =
        breakers.circuitBreaker(
            provider.name(),
            CircuitBreakerConfig.custom()
                .slidingWindowSize(settings.slidingWindow())
                .minimumNumberOfCalls(settings.minimumCalls())
                .failureRateThreshold(settings.failureRateThreshold())
                .slowCallRateThreshold(settings.failureRateThreshold())
                .slowCallDurationThreshold(settings.slowCall())
                .waitDurationInOpenState(settings.openFor())
                .permittedNumberOfCallsInHalfOpenState(5)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build());
    this.limiters = limiters;
    this.inFlight = new Semaphore(settings.maxConcurrency());
    this.metrics = metrics;
    this.tracing = tracing;
  }

  String name() {
    return provider.name();
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  /**
   * Sends one delivery. Blocks the calling (consumer) thread only while {@code maxConcurrency}
   * sends are already in flight: that is the worker's back-pressure.
   */
  CompletableFuture<SendOutcome> send(T delivery, DeliveryRef ref, int attempt) {
    if (!breaker.tryAcquirePermission()) {
      metrics.outcome(name(), "deferred", null);
      return CompletableFuture.completedFuture(
          new SendOutcome.Deferred(
              "CIRCUIT_OPEN", "circuit of " + name() + " is open", settings.openFor()));
    }
    long waitNanos = 0;
    if (settings.rateLimit() > 0) {
      RateLimiter limiter = limiter(provider.account(delivery, ref));
      waitNanos = limiter.reservePermission();
      if (waitNanos < 0) {
        breaker.releasePermission();
        metrics.outcome(name(), "deferred", null);
        return CompletableFuture.completedFuture(
            new SendOutcome.Deferred(
                "RATE_LIMITED",
                "rate limit of " + name() + " leaves no permit in time",
                Duration.ofSeconds(1)));
      }
      if (waitNanos > 0) {
        metrics.rateLimiterWait(name(), Duration.ofNanos(waitNanos));
      }
    }
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      breaker.releasePermission();
      return CompletableFuture.completedFuture(
          new SendOutcome.Deferred("INTERRUPTED", "worker is stopping", Duration.ZERO));
    }
    long start = System.nanoTime();
    CompletableFuture<SendOutcome> call;
    if (waitNanos > 0) {
      Executor later = CompletableFuture.delayedExecutor(waitNanos, TimeUnit.NANOSECONDS);
      // The send still belongs to the delivery's span when it waits for its permit.
      call =
          CompletableFuture.supplyAsync(() -> null, later)
              .thenCompose(tracing.inCurrentSpan(x -> invoke(delivery, ref, attempt)));
    } else {
      call = invoke(delivery, ref, attempt);
    }
    return call.orTimeout(
            settings.timeout().toMillis() + waitNanos / 1_000_000, TimeUnit.MILLISECONDS)
        .handle((outcome, failure) -> outcome != null ? outcome : SendOutcome.ofFailure(failure))
        .thenApply(outcome -> recorded(outcome, System.nanoTime() - start));
  }

  private CompletableFuture<SendOutcome> invoke(T delivery, DeliveryRef ref, int attempt) {
    try {
      return provider.send(delivery, ref, attempt);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private SendOutcome recorded(SendOutcome outcome, long nanos) {
    inFlight.release();
    Duration took = Duration.ofNanos(nanos);
    if (outcome instanceof SendOutcome.Accepted) {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      metrics.outcome(name(), "sent", took);
    } else if (outcome instanceof SendOutcome.Transient t) {
      breaker.onError(nanos, TimeUnit.NANOSECONDS, new ProviderFailure(t.code()));
      metrics.outcome(name(), "failed_transient", took);
    } else if (outcome instanceof SendOutcome.Permanent p) {
      if (p.cause() == SendOutcome.Cause.CONFIGURATION) {
        // A provider Herald cannot authenticate to is down for every delivery: let the circuit
        // open so that the next provider takes over.
        breaker.onError(nanos, TimeUnit.NANOSECONDS, new ProviderFailure(p.code()));
        metrics.configurationError(name(), p.code());
      } else {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      }
      metrics.outcome(
          name(),
          p.cause() == SendOutcome.Cause.CONTACT_INVALID ? "contact_invalid" : "failed_permanent",
          took);
    } else {
      breaker.releasePermission();
      metrics.outcome(name(), "deferred", null);
    }
    return outcome;
  }

  private RateLimiter limiter(String account) {
    return limiters.rateLimiter(
        name() + ":" + account,
        () ->
            RateLimiterConfig.custom()
                // Permits in 20 slices a second rather than one burst a second.
                .limitForPeriod(Math.max(1, settings.rateLimit() / 20))
                .limitRefreshPeriod(
                    Duration.ofNanos(
                        1_000_000_000L
                            * Math.max(1, settings.rateLimit() / 20)
                            / settings.rateLimit()))
                .timeoutDuration(settings.rateLimitWait())
                .build());
  }

  /** What the circuit breaker records for a failed call. */
  static final class ProviderFailure extends RuntimeException {
    ProviderFailure(String code) {
      super(code, null, false, false);
    }
  }
}
