package io.herald.gateway.commands;

import io.herald.events.catalog.TopicSpec;
import io.herald.gateway.GatewayProperties;
import io.herald.gateway.errors.BrokerUnavailableException;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Puts a command's event on its topic and completes once the broker acknowledged it.
 *
 * <p>The producer's own limits fit inside {@code herald.gateway.publish-timeout}: finding the topic
 * ({@code max.block.ms}), serializing (bounded by {@link DeadlineSerializer}) and delivering
 * ({@code delivery.timeout.ms}) end, in success or failure, before the caller is answered. A record
 * that never left the gateway fails as {@link BrokerUnavailableException#notSent}; one that left
 * but was not confirmed as {@link BrokerUnavailableException#unconfirmed} (the broker may still
 * have it: a retry with the same {@code Idempotency-Key} yields the same ids and is applied once).
 *
 * <p>Example: {@code publisher.publish(TopicCatalog.CONTENT_APPROVALS, postId, event)}.
 */
@Component
public class CommandPublisher implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(CommandPublisher.class);

  /** Restores thread locals (the observation) from a Reactor context. */
  public static final ContextSnapshotFactory SNAPSHOTS = ContextSnapshotFactory.builder().build();

  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final GatewayProperties properties;
  private final Duration sendWindow;
  // Threads of its own: a send blocked on broker metadata must not hold up other work queued on a
  // shared scheduler.
  private final Scheduler sends = Schedulers.newBoundedElastic(64, 100_000, "command-sends");

  public CommandPublisher(
      KafkaTemplate<String, SpecificRecord> kafka,
      GatewayProperties properties,
      KafkaProperties kafkaProperties) {
    this.kafka = kafka;
    this.properties = properties;
    Duration delivery =
        Duration.ofMillis(
            Long.parseLong(
                kafkaProperties
                    .getProducer()
                    .getProperties()
                    .getOrDefault("delivery.timeout.ms", "120000")));
    // What is left of the caller's wait once delivery has had its time, less a margin.
    this.sendWindow = properties.publishTimeout().minus(delivery).minusMillis(500);
    if (sendWindow.isNegative() || sendWindow.isZero()) {
      throw new IllegalStateException(
          "herald.gateway.publish-timeout ("
              + properties.publishTimeout()
              + ") must exceed the producer's delivery.timeout.ms ("
              + delivery.toMillis()
              + " ms) by more than 500 ms");
    }
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
    AtomicBoolean handedOver = new AtomicBoolean();
    // send() may block while it fetches metadata (up to max.block.ms): keep it off the event loop.
    return Mono.deferContextual(
            context -> {
              long deadline = System.nanoTime() + sendWindow.toNanos();
              return Mono.fromFuture(
                  () -> {
                    // The request's observation, so the record carries the caller's trace.
                    try (ContextSnapshot.Scope scope = SNAPSHOTS.setThreadLocalsFrom(context)) {
                      if (log.isDebugEnabled()) {
                        logPublishing(topic, key, event);
                      }
                      return DeadlineSerializer.within(
                          deadline,
                          () -> {
                            var future = kafka.send(topic.name(), key, event);
                            handedOver.set(!future.isCompletedExceptionally());
                            return future;
                          });
                    }
                  });
            })
        .subscribeOn(sends)
        .timeout(properties.publishTimeout())
        .onErrorMap(
            e -> !(e instanceof BrokerUnavailableException),
            e ->
                handedOver.get() && !neverSent(e)
                    ? BrokerUnavailableException.unconfirmed(e)
                    : BrokerUnavailableException.notSent(e))
        .then();
  }

  /** A line per command, in the request's trace, with the ids the event carries. */
  private static void logPublishing(TopicSpec topic, String key, SpecificRecord event) {
    LoggingEventBuilder line = log.atDebug().addKeyValue("topic", topic.name());
    for (String id : List.of("tenantId", "requestId", "postId", "eventId")) {
      Schema.Field field = event.getSchema().getField(id);
      Object value = field == null ? null : event.get(field.pos());
      if (value != null) {
        line = line.addKeyValue(id.equals("tenantId") ? "tenant" : id, value.toString());
      }
    }
    line.log("Publishing {} {} to {}", event.getSchema().getName(), key, topic.name());
  }

  /** Failures that show the record never left the gateway. */
  private static boolean neverSent(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof DeadlineSerializer.DeadlinePassedException
          || e instanceof org.apache.kafka.common.errors.SerializationException) {
        return true;
      }
      String message = e.getMessage();
      if (e instanceof org.apache.kafka.common.errors.TimeoutException
          && message != null
          && message.contains("not present in metadata")) {
        return true;
      }
    }
    return false;
  }
}
