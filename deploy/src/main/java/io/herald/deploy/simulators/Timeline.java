package io.herald.deploy.simulators;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An account's posts, newest first, the oldest dropped beyond {@code capacity} (platforms list only
 * the most recent). Counted as it goes: a concurrent deque's own size walks every element.
 */
final class Timeline<T> implements Iterable<T> {

  private final ConcurrentLinkedDeque<T> items = new ConcurrentLinkedDeque<>();
  private final AtomicInteger size = new AtomicInteger();
  private final int capacity;

  Timeline(int capacity) {
    this.capacity = capacity;
  }

  void add(T item) {
    items.addFirst(item);
    if (size.incrementAndGet() > capacity && items.pollLast() != null) {
      size.decrementAndGet();
    }
  }

  @Override
  public Iterator<T> iterator() {
    return items.iterator();
  }
}
