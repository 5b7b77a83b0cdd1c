package io.herald.notification.inbox;

import java.time.Duration;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Hands inbox items to the SSE streams open on this instance. Items reach it from the {@code
 * notification.inbox.v1} topic, so every instance sees every item whichever instance stored it. A
 * slow subscriber loses items rather than holding up the others; the inbox list still has them.
 */
@Component
public class InboxBroadcaster {

  private final Sinks.Many<AddressedItem> sink = Sinks.many().multicast().directBestEffort();

  public void publish(String tenantId, String userId, InboxItem item) {
    sink.emitNext(
        new AddressedItem(tenantId, userId, item),
        Sinks.EmitFailureHandler.busyLooping(Duration.ofMillis(100)));
  }

  /** The live items of one user of one tenant. */
  public Flux<InboxItem> itemsFor(String tenantId, String userId) {
    return sink.asFlux()
        .filter(a -> a.tenantId().equals(tenantId) && a.userId().equals(userId))
        .map(AddressedItem::item);
  }

  public int subscriberCount() {
    return sink.currentSubscriberCount();
  }

  record AddressedItem(String tenantId, String userId, InboxItem item) {}
}
