package io.herald.gateway.commands;

import io.herald.events.catalog.TopicSpec;
import io.herald.gateway.GatewayProperties;
import io.herald.gateway.errors.BrokerUnavailableException;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Puts a command's event on its topic and completes once the broker acknowledged it; a broker that
 * does not answer within {@code herald.gateway.publish-timeout} fails it with {@link
 * BrokerUnavailableException} (503 to the caller).
 *
 * <p>Example: {@code publisher.publish(TopicCatalog.CONTENT_APPROVALS, postId, event)}.
 */
@Component
public class CommandPublisher implements DisposableBean {

  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final GatewayProperties properties;
  // Threads of its own: a send blocked on broker metadata after its caller gave up must not hold
  // up other work queued on a shared scheduler.
  private final Scheduler sends = Schedulers.newBoundedElastic(64, 100_000, "command-sends");

  public CommandPublisher(
      KafkaTemplate<String, SpecificRecord> kafka, GatewayProperties properties) {
    this.kafka = kafka;
    this.properties = properties;
  }

  @Override
  public void destroy() {
    sends.dispose();
  }

  public Mono<Void> publish(TopicSpec topic, String key, SpecificRecord event) {
    if (!topic.carries(event.getClass())) {
      throw new IllegalArgumentException(
          topic.name() + " does not carry " + event.getClass().getSimpleName());
    }
    // send() may block while it fetches metadata (up to max.block.ms): keep it off the event loop.
    return Mono.fromFuture(() -> kafka.send(topic.name(), key, event))
        .subscribeOn(sends)
        .timeout(properties.publishTimeout())
        .onErrorMap(BrokerUnavailableException::new)
        .then();
  }
}
