package io.herald.gateway.ratelimit;

import jakarta.annotation.PreDestroy;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Deletes the buckets of tenants that have been idle long enough to be full again. */
@Component
class RateLimitRetention {

  private static final Logger log = LoggerFactory.getLogger(RateLimitRetention.class);
  private static final int CHUNK = 1_000;

  private final RateLimiter limiter;
  private Disposable schedule;

  RateLimitRetention(RateLimiter limiter) {
    this.limiter = limiter;
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    schedule =
        Flux.interval(Duration.ofMinutes(2), Duration.ofMinutes(10))
            .concatMap(
                tick ->
                    Mono.fromCallable(this::removeIdleBuckets)
                        .subscribeOn(Schedulers.boundedElastic())
                        .doOnError(e -> log.warn("removing idle buckets failed: {}", e.toString()))
                        .onErrorComplete())
            .subscribe();
  }

  private int removeIdleBuckets() {
    int removed = 0;
    int chunk;
    do {
      chunk = limiter.removeExpired(CHUNK);
      removed += chunk;
    } while (chunk == CHUNK);
    return removed;
  }

  @PreDestroy
  void stop() {
    if (schedule != null) {
      schedule.dispose();
    }
  }
}
