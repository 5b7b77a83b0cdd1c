package io.herald.notification.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.notification.inbox.InboxRepository.Counts;
import io.herald.notification.inbox.InboxRepository.CountsAt;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class InboxStreamConnectionTest {

  /** What the database answers, in order, and how many times it was asked. */
  private final ConcurrentLinkedQueue<CountsAt> answers = new ConcurrentLinkedQueue<>();

  private final List<CountsAt> asked = new CopyOnWriteArrayList<>();
  private final List<ServerSentEvent<Object>> sent = new CopyOnWriteArrayList<>();
  private final AtomicReference<Consumer<InboxBroadcaster.StreamEvent>> live =
      new AtomicReference<>();

  @Test
  void shouldCountANewItemThatDirectlyFollowsTheCountsWithoutAQuery() {
    answers.add(new CountsAt(new Counts(2, 1, 3), 5));
    open(5);
    assertThat(asked).hasSize(1);

    live.get().accept(item(6));
    live.get().accept(item(7));

    assertThat(asked).as("queries").hasSize(1);
    assertThat(names())
        .containsExactly(
            "hello", "inbox-counts", "inbox-item", "inbox-counts", "inbox-item", "inbox-counts");
    assertThat(counts())
        .containsExactly(new Counts(2, 1, 3), new Counts(3, 2, 4), new Counts(4, 3, 5));
  }

  @Test
  void shouldReadTheCountsAfterAGapOrAnyOtherChange() {
    answers.add(new CountsAt(new Counts(2, 2, 2), 5));
    answers.add(new CountsAt(new Counts(4, 4, 4), 8));
    answers.add(new CountsAt(new Counts(3, 4, 4), 9));
    answers.add(new CountsAt(new Counts(4, 5, 5), 10));
    open(5);

    // 7 was taken by a change that was never announced: what it changed is unknown here.
    live.get().accept(item(8));
    live.get().accept(change("inbox-read", 9));
    // The counts read at 9 are followed by 10: counted without a query.
    live.get().accept(item(10));

    assertThat(asked).as("queries").hasSize(3);
    assertThat(counts())
        .containsExactly(
            new Counts(2, 2, 2), new Counts(4, 4, 4), new Counts(3, 4, 4), new Counts(4, 5, 5));
  }

  @Test
  void shouldReadTheCountsWhenItemsCarryNoNumber() {
    answers.add(new CountsAt(new Counts(0, 0, 0), 0));
    answers.add(new CountsAt(new Counts(1, 1, 1), 0));
    open(0);

    live.get()
        .accept(
            new InboxBroadcaster.StreamEvent("inbox-item", "item-without-number", null, "item"));

    assertThat(asked).hasSize(2);
    assertThat(counts()).containsExactly(new Counts(0, 0, 0), new Counts(1, 1, 1));
  }

  private void open(long replayedUpTo) {
    InboxStreamConnection connection =
        new InboxStreamConnection(
            100,
            () ->
                Mono.fromSupplier(
                    () -> {
                      CountsAt answer = answers.remove();
                      asked.add(answer);
                      return answer;
                    }),
            e ->
                ServerSentEvent.<Object>builder(e.data())
                    .id(String.valueOf(e.sequence()))
                    .event(e.event())
                    .build(),
            () -> {});
    connection
        .open(
            ServerSentEvent.<Object>builder("hi").event("hello").build(),
            listener -> {
              live.set(listener);
              return Disposables.single();
            },
            Mono.just(new InboxStreamConnection.Replay(List.of(), replayedUpTo)),
            Flux.never(),
            ServerSentEvent.<Object>builder().comment("").build())
        .subscribe(sent::add);
  }

  private static InboxBroadcaster.StreamEvent item(long seq) {
    return new InboxBroadcaster.StreamEvent("inbox-item", "item-" + seq, seq, "item " + seq);
  }

  private static InboxBroadcaster.StreamEvent change(String event, long seq) {
    return new InboxBroadcaster.StreamEvent(
        event,
        "change-" + seq,
        seq,
        new InboxBroadcaster.Change(List.of("item-1"), Instant.now(), null));
  }

  private List<String> names() {
    return sent.stream().map(ServerSentEvent::event).toList();
  }

  private List<Counts> counts() {
    List<Counts> counts = new ArrayList<>();
    for (ServerSentEvent<Object> e : sent) {
      if ("inbox-counts".equals(e.event())) {
        counts.add((Counts) e.data());
      }
    }
    return counts;
  }
}
