package io.herald.notification.activity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Forgets delivery activity and requests older than {@code herald.activity.retention} (30 days),
 * hourly, on every instance (the delete is idempotent, so instances need not agree on who runs it).
 * A request forgotten answers 404 like one never made.
 */
@Component
class ActivityRetention {

  private static final Logger log = LoggerFactory.getLogger(ActivityRetention.class);

  private final ActivityRepository activity;
  private final Duration retention;
  private final Clock clock = Clock.systemUTC();
  private Disposable schedule;

  ActivityRetention(
      ActivityRepository activity, @Value("${herald.activity.retention:30d}") Duration retention) {
    this.activity = activity;
    this.retention = retention;
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    schedule =
        Flux.interval(Duration.ofMinutes(2), Duration.ofHours(1))
            .concatMap(
                tick ->
                    forgetOlderThan(clock.instant().minus(retention))
                        .doOnError(
                            e ->
                                log.warn(
                                    "forgetting old delivery activity failed: {}", e.toString()))
                        .onErrorComplete())
            .subscribe();
  }

  /** Forgets what happened before {@code before}; answers how many rows went. */
  Mono<Long> forgetOlderThan(Instant before) {
    return activity
        .forget(before)
        .doOnNext(
            n -> {
              if (n > 0) {
                log.info("Forgot {} delivery activity and request rows from before {}", n, before);
              }
            });
  }

  @jakarta.annotation.PreDestroy
  void stop() {
    if (schedule != null) {
      schedule.dispose();
    }
  }
}
