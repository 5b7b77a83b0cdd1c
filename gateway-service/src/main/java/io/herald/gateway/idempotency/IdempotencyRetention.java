package io.herald.gateway.idempotency;

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

/**
 * Deletes expired idempotency records every ten minutes, 10,000 rows per statement. Expired rows
 * are never answered from even before they go; running on every instance at once is harmless.
 */
@Component
class IdempotencyRetention {

  private static final Logger log = LoggerFactory.getLogger(IdempotencyRetention.class);
  private static final int CHUNK = 10_000;

  private final IdempotencyStore store;
  private Disposable schedule;

  IdempotencyRetention(IdempotencyStore store) {
    this.store = store;
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    schedule =
        Flux.interval(Duration.ofMinutes(1), Duration.ofMinutes(10))
            .concatMap(
                tick ->
                    forgetExpired()
                        .doOnError(
                            e ->
                                log.warn(
                                    "forgetting expired idempotency keys failed: {}", e.toString()))
                        .onErrorComplete())
            .subscribe();
  }

  /** Deletes every expired record; answers how many went. */
  Mono<Long> forgetExpired() {
    return store
        .forgetExpired(CHUNK)
        .expand(deleted -> deleted == CHUNK ? store.forgetExpired(CHUNK) : Mono.empty())
        .reduce(0L, Long::sum);
  }

  @PreDestroy
  void stop() {
    if (schedule != null) {
      schedule.dispose();
    }
  }
}
