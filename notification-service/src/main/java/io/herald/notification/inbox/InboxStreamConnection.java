package io.herald.notification.inbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One open inbox stream: everything it sends (greeting, replay, live events, counts, heartbeats,
 * resume) goes through one queue of its own, in order, to one subscriber, the connection.
 *
 * <p>Live events are taken from the moment it opens; while the replay of what the client missed is
 * read, they wait, and those the replay covered are dropped by their number. The queue is bounded:
 * when more than {@code buffer} events wait for a client that does not read, the stream stops
 * taking events, says {@code resume} after what it queued and ends. Counts are read again after
 * changes, one query at a time: changes that arrive while one runs are counted by the next. A new
 * item whose number directly follows the counts last read or sent adds one to each of them without
 * a query: nothing else can have changed in between, and a new item is unread, unseen and not
 * archived.
 *
 * <p>Small on purpose (a queue that grows only while events wait, a few fields): an instance holds
 * tens of thousands of these.
 */
final class InboxStreamConnection {

  private static final Logger log = LoggerFactory.getLogger(InboxStreamConnection.class);

  /** What the client missed, as events, and the last number they cover. */
  record Replay(List<ServerSentEvent<Object>> events, long upTo) {}

  private final Sinks.Many<ServerSentEvent<Object>> out =
      Sinks.unsafe()
          .many()
          .unicast()
          .onBackpressureBuffer(Queues.<ServerSentEvent<Object>>unboundedMultiproducer().get());
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicBoolean ended = new AtomicBoolean();
  private final Disposable.Composite resources = Disposables.composite();
  private final Disposable.Swap countsQuery = Disposables.swap();

  /** 0: no counts query runs; 1: one runs; 2: one runs and another is wanted after it. */
  private final AtomicInteger counts = new AtomicInteger();

  private final int buffer;
  private final Supplier<Mono<InboxRepository.CountsAt>> readCounts;
  private final Function<InboxBroadcaster.StreamEvent, ServerSentEvent<Object>> toSse;
  private final Runnable fellBehind;

  /** Live events received before the replay was sent; null from then on. */
  private List<InboxBroadcaster.StreamEvent> early = new ArrayList<>(0);

  private long replayedUpTo;

  /** The counts last sent and the number of the user's sequence they reflect; null before. */
  private InboxRepository.CountsAt countsSent;

  InboxStreamConnection(
      int buffer,
      Supplier<Mono<InboxRepository.CountsAt>> readCounts,
      Function<InboxBroadcaster.StreamEvent, ServerSentEvent<Object>> toSse,
      Runnable fellBehind) {
    this.buffer = buffer;
    this.readCounts = readCounts;
    this.toSse = toSse;
    this.fellBehind = fellBehind;
  }

  /**
   * Opens the stream: {@code hello} first, then the replay, then live events.
   *
   * @param listen registers this stream's listener of live events; the handle unregisters it
   * @param replay what the client missed (nothing for a new stream)
   * @param heartbeats ticks on which to send {@code keepAlive}
   */
  Flux<ServerSentEvent<Object>> open(
      ServerSentEvent<Object> hello,
      Function<java.util.function.Consumer<InboxBroadcaster.StreamEvent>, Disposable> listen,
      Mono<Replay> replay,
      Flux<Long> heartbeats,
      ServerSentEvent<Object> keepAlive) {
    resources.add(countsQuery);
    emit(hello);
    resources.add(listen.apply(this::live));
    resources.add(heartbeats.subscribe(tick -> emit(keepAlive)));
    resources.add(
        replay.subscribe(
            this::replayed,
            error -> {
              log.warn("replaying a stream failed: {}", error.toString());
              if (ended.compareAndSet(false, true)) {
                out.tryEmitError(error);
                resources.dispose();
              }
            }));
    return out.asFlux().doOnNext(e -> waiting.decrementAndGet()).doFinally(s -> end());
  }

  private void replayed(Replay replay) {
    synchronized (this) {
      replay.events().forEach(this::emit);
      replayedUpTo = replay.upTo();
      for (InboxBroadcaster.StreamEvent e : early) {
        if (covered(e)) {
          continue;
        }
        emit(toSse.apply(e));
      }
      early = null;
    }
    countsChanged(); // at connect, and after what the replay and the early events changed
  }

  private void live(InboxBroadcaster.StreamEvent e) {
    synchronized (this) {
      if (early != null) {
        if (early.size() >= buffer) {
          behind();
        } else {
          early.add(e);
        }
        return;
      }
    }
    if (!covered(e)) {
      emit(toSse.apply(e));
      if (!countedNewItem(e)) {
        countsChanged();
      }
    }
  }

  /**
   * Sends the counts after a new item without a query when they are known exactly: no query runs
   * and the item's number is the one after the counts last sent.
   */
  private boolean countedNewItem(InboxBroadcaster.StreamEvent e) {
    synchronized (this) {
      InboxRepository.CountsAt last = countsSent;
      if (!"inbox-item".equals(e.event())
          || e.sequence() == null
          || last == null
          || counts.get() != 0
          || e.sequence() != last.seq() + 1) {
        return false;
      }
      countsSent = new InboxRepository.CountsAt(last.counts().withNewItem(), e.sequence());
      emit(countsEvent(countsSent.counts()));
      return true;
    }
  }

  private void countsArrived(InboxRepository.CountsAt read) {
    synchronized (this) {
      countsSent = read;
      emit(countsEvent(read.counts()));
    }
  }

  private static ServerSentEvent<Object> countsEvent(InboxRepository.Counts counts) {
    return ServerSentEvent.<Object>builder(counts).event("inbox-counts").build();
  }

  private boolean covered(InboxBroadcaster.StreamEvent e) {
    return e.sequence() != null && e.sequence() <= replayedUpTo;
  }

  private void emit(ServerSentEvent<Object> event) {
    if (ended.get()) {
      return;
    }
    if (waiting.incrementAndGet() > buffer) {
      behind();
      return;
    }
    out.tryEmitNext(event);
  }

  /** Stops taking events; the client reads what was queued, then {@code resume}, then the end. */
  private void behind() {
    if (ended.compareAndSet(false, true)) {
      fellBehind.run();
      resources.dispose();
      out.tryEmitNext(
          ServerSentEvent.builder()
              .event("resume")
              .data(Map.of("reason", "this connection fell behind; reconnect"))
              .build());
      out.tryEmitComplete();
    }
  }

  private void countsChanged() {
    if (counts.getAndUpdate(c -> Math.min(c + 1, 2)) == 0) {
      readCounts();
    }
  }

  private void readCounts() {
    if (ended.get()) {
      return;
    }
    countsQuery.update(
        readCounts
            .get()
            .subscribe(
                this::countsArrived,
                error -> {
                  log.warn("reading a stream's counts failed: {}", error.toString());
                  countsRead();
                },
                this::countsRead));
  }

  private void countsRead() {
    if (counts.decrementAndGet() > 0) {
      readCounts();
    }
  }

  private void end() {
    ended.set(true);
    resources.dispose();
  }
}
