package io.herald.notification.inbox;

import java.time.Duration;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Hands inbox events to the SSE streams open on this instance. Events reach it from the {@code
 * notification.inbox.v1} topic, so every instance sees every change whichever instance made it. A
 * slow subscriber loses events rather than holding up the others; the inbox list still has them.
 */
@Component
public class InboxBroadcaster {

  /**
   * One event of a user's stream.
   *
   * @param event the SSE event name: {@code inbox-item} (a new item, the item), {@code inbox-read},
   *     {@code inbox-unread}, {@code inbox-seen}, {@code inbox-archived}, {@code inbox-unarchived}
   *     (a change, {@link Change})
   * @param id the item's id for a new item, the event's id for a change
   * @param sequence the change's number in the user's inbox sequence (the SSE id); null in events
   *     written before it was carried
   */
  public record StreamEvent(String event, String id, Long sequence, Object data) {}

  /**
   * What a user changed: the items, and when.
   *
   * @param seenUpTo for {@code inbox-seen}: every item created up to then is seen
   */
  public record Change(
      java.util.List<String> itemIds, java.time.Instant at, java.time.Instant seenUpTo) {}

  private final Sinks.Many<Addressed> sink = Sinks.many().multicast().directBestEffort();

  public void publish(String tenantId, String userId, InboxItem item, Long sequence) {
    publish(tenantId, userId, new StreamEvent("inbox-item", item.id(), sequence, item));
  }

  public void publish(String tenantId, String userId, StreamEvent event) {
    sink.emitNext(
        new Addressed(tenantId, userId, event),
        Sinks.EmitFailureHandler.busyLooping(Duration.ofMillis(100)));
  }

  /** The live events of one user of one tenant. */
  public Flux<StreamEvent> eventsFor(String tenantId, String userId) {
    return sink.asFlux()
        .filter(a -> a.tenantId().equals(tenantId) && a.userId().equals(userId))
        .map(Addressed::event);
  }

  public int subscriberCount() {
    return sink.currentSubscriberCount();
  }

  record Addressed(String tenantId, String userId, StreamEvent event) {}
}
