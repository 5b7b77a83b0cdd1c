package io.herald.notification.subscribers;

import io.herald.events.catalog.TopicCatalog;
import java.time.Clock;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Writes the API's subscriber changes to {@code notification.subscribers.v1}, the one way into the
 * store (the same the identity teams use); completes once the broker acknowledged.
 */
@Component
class SubscriberPublisher {

  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final Clock clock = Clock.systemUTC();

  SubscriberPublisher(KafkaTemplate<String, SpecificRecord> kafka) {
    this.kafka = kafka;
  }

  Mono<Void> update(String tenantId, SubscriberProfile profile) {
    return send(
        SubscriberProfile.key(tenantId, profile.userId()),
        profile.toEvent(tenantId, clock.instant()));
  }

  /** A tombstone: the subscriber and their contact points are deleted. */
  Mono<Void> delete(String tenantId, String userId) {
    return send(SubscriberProfile.key(tenantId, userId), null);
  }

  private Mono<Void> send(String key, SpecificRecord value) {
    // send() may block while it fetches metadata: keep it off the event loop.
    return Mono.fromFuture(
            () -> kafka.send(TopicCatalog.NOTIFICATION_SUBSCRIBERS.name(), key, value))
        .subscribeOn(Schedulers.boundedElastic())
        .then();
  }
}
