package io.herald.gateway.notifications;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.NotificationRequested;
import io.herald.gateway.GatewayProperties;
import io.herald.gateway.errors.BrokerUnavailableException;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Puts {@link NotificationRequested} on its topic and completes once the broker acknowledged. */
@Component
class NotificationRequestPublisher {

  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final GatewayProperties properties;

  NotificationRequestPublisher(
      KafkaTemplate<String, SpecificRecord> kafka, GatewayProperties properties) {
    this.kafka = kafka;
    this.properties = properties;
  }

  Mono<Void> publish(NotificationRequested event) {
    // send() may block while it fetches metadata (up to max.block.ms): keep it off the event loop.
    return Mono.fromFuture(
            () ->
                kafka.send(TopicCatalog.NOTIFICATION_REQUESTS.name(), event.getRequestId(), event))
        .subscribeOn(Schedulers.boundedElastic())
        .timeout(properties.publishTimeout())
        .onErrorMap(BrokerUnavailableException::new)
        .then();
  }
}
