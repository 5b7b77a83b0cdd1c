package io.herald.gateway.idempotency;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Turns many requests' writes into one statement: while a statement runs, the writes that arrive
 * queue up, and the next statement takes them all (up to {@code maxBatch}). Under light load a
 * write goes out alone and at once; under heavy load one round trip carries many, so the database
 * sees a few multi-row statements a millisecond instead of one per request.
 *
 * <p>Two writes with the same {@code identity} never share a statement (a PostgreSQL {@code INSERT
 * ... ON CONFLICT DO UPDATE} may not touch one row twice): the later one waits for the next.
 *
 * @param <T> one write
 * @param <R> its outcome
 */
final class GroupedWrites<T, R> {

  private final int maxBatch;
  private final Function<List<T>, Mono<List<R>>> statement;
  private final Function<T, Object> identity;
  private final Queue<Pending<T, R>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean();

  /**
   * @param statement runs one batch and answers one outcome per write, in order
   * @param identity writes with equal identities go in separate statements
   */
  GroupedWrites(
      int maxBatch, Function<List<T>, Mono<List<R>>> statement, Function<T, Object> identity) {
    this.maxBatch = maxBatch;
    this.statement = statement;
    this.identity = identity;
  }

  /** The outcome of {@code write}, once the statement that carries it has run. */
  Mono<R> submit(T write) {
    return Mono.create(
        sink -> {
          queue.add(new Pending<>(write, sink));
          drain();
        });
  }

  private void drain() {
    while (!queue.isEmpty() && running.compareAndSet(false, true)) {
      List<Pending<T, R>> batch = take();
      if (batch.isEmpty()) {
        running.set(false);
        continue;
      }
      run(batch);
      return;
    }
  }

  private List<Pending<T, R>> take() {
    List<Pending<T, R>> batch = new ArrayList<>();
    List<Pending<T, R>> later = new ArrayList<>();
    Set<Object> identities = new HashSet<>();
    Pending<T, R> next;
    while (batch.size() < maxBatch && (next = queue.poll()) != null) {
      if (identities.add(identity.apply(next.write()))) {
        batch.add(next);
      } else {
        later.add(next);
      }
    }
    queue.addAll(later);
    return batch;
  }

  private void run(List<Pending<T, R>> batch) {
    List<T> writes = new ArrayList<>(batch.size());
    for (Pending<T, R> pending : batch) {
      writes.add(pending.write());
    }
    Mono<List<R>> outcome;
    try {
      outcome = statement.apply(writes);
    } catch (RuntimeException e) {
      outcome = Mono.error(e);
    }
    outcome
        .defaultIfEmpty(List.of())
        .subscribe(
            results -> {
              finish();
              for (int i = 0; i < batch.size(); i++) {
                R result = i < results.size() ? results.get(i) : null;
                if (result == null) {
                  batch.get(i).sink().success();
                } else {
                  batch.get(i).sink().success(result);
                }
              }
            },
            error -> {
              finish();
              for (Pending<T, R> pending : batch) {
                pending.sink().error(error);
              }
            });
  }

  /** Lets the next statement start, before this one's callers go on with their requests. */
  private void finish() {
    running.set(false);
    drain();
  }

  private record Pending<T, R>(T write, MonoSink<R> sink) {}
}
