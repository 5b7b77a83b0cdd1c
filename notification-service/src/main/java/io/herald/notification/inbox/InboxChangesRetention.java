package io.herald.notification.inbox;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Forgets inbox changes older than {@code herald.inbox.changes-retention} (7 days), hourly, on
 * every instance (the delete is idempotent, so instances need not agree on who runs it). A stream
 * that resumes from before then is told to reload its inbox.
 */
@Component
class InboxChangesRetention {

  private static final Logger log = LoggerFactory.getLogger(InboxChangesRetention.class);

  private final InboxRepository inbox;
  private final Duration retention;
  private final Clock clock = Clock.systemUTC();
  private Disposable schedule;

  InboxChangesRetention(
      InboxRepository inbox, @Value("${herald.inbox.changes-retention:7d}") Duration retention) {
    this.inbox = inbox;
    this.retention = retention;
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    schedule =
        Flux.interval(Duration.ofMinutes(1), Duration.ofHours(1))
            .concatMap(
                tick ->
                    inbox
                        .forgetChanges(clock.instant().minus(retention))
                        .doOnError(
                            e -> log.warn("forgetting old inbox changes failed: {}", e.toString()))
                        .onErrorComplete())
            .subscribe();
  }

  @jakarta.annotation.PreDestroy
  void stop() {
    if (schedule != null) {
      schedule.dispose();
    }
  }
}
