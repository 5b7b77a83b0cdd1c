package io.herald.notification.inbox;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.Disposables;

/**
 * Hands inbox events to the SSE streams open on this instance. Events reach it from the {@code
 * notification.inbox.v1} topic, so every instance sees every change whichever instance made it.
 *
 * <p>Streams are registered by tenant and user: an event costs a map lookup and one call per stream
 * of its user, however many streams the instance holds. Each stream's listener only offers the
 * event to that stream's own bounded queue, so a slow client never holds up the others.
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
  public record Change(List<String> itemIds, java.time.Instant at, java.time.Instant seenUpTo) {}

  private final Map<Key, List<Consumer<StreamEvent>>> streams = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();

  public void publish(String tenantId, String userId, InboxItem item, Long sequence) {
    publish(tenantId, userId, new StreamEvent("inbox-item", item.id(), sequence, item));
  }

  public void publish(String tenantId, String userId, StreamEvent event) {
    List<Consumer<StreamEvent>> listeners = streams.get(new Key(tenantId, userId));
    if (listeners != null) {
      for (Consumer<StreamEvent> listener : listeners) {
        listener.accept(event);
      }
    }
  }

  /**
   * Calls {@code listener} with each live event of one user of one tenant from now on, until the
   * returned handle is disposed. The listener must not block: it is called on the thread that
   * consumes the topic.
   */
  public Disposable listen(String tenantId, String userId, Consumer<StreamEvent> listener) {
    Key key = new Key(tenantId, userId);
    // A listener of its own, so that removing it never removes another stream's equal one.
    Consumer<StreamEvent> registered = listener::accept;
    streams.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(registered);
    open.incrementAndGet();
    return Disposables.composite(
        () -> {
          open.decrementAndGet();
          streams.computeIfPresent(
              key,
              (k, listeners) -> {
                listeners.remove(registered);
                return listeners.isEmpty() ? null : listeners;
              });
        });
  }

  /** Streams open on this instance. */
  public int subscriberCount() {
    return open.get();
  }

  private record Key(String tenantId, String userId) {}
}
