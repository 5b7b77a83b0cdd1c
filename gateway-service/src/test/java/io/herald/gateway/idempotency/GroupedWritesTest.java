package io.herald.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class GroupedWritesTest {

  /** Statements that complete only when the test says so, so batches can be watched forming. */
  private final List<List<String>> statements = new CopyOnWriteArrayList<>();

  private final List<Sinks.One<List<String>>> pending = new CopyOnWriteArrayList<>();
  private final GroupedWrites<String, String> writes =
      new GroupedWrites<>(
          3,
          batch -> {
            statements.add(List.copyOf(batch));
            Sinks.One<List<String>> done = Sinks.one();
            pending.add(done);
            return done.asMono();
          },
          write -> write.substring(0, 1));

  private void completeStatement(int index) {
    List<String> outcomes = new ArrayList<>();
    for (String write : statements.get(index)) {
      outcomes.add(write.toUpperCase());
    }
    pending.get(index).tryEmitValue(outcomes);
  }

  @Test
  void shouldSendAWriteAtOnceWhenNothingRuns() {
    List<String> seen = new CopyOnWriteArrayList<>();
    writes.submit("a1").subscribe(seen::add);

    assertThat(statements).containsExactly(List.of("a1"));
    completeStatement(0);
    assertThat(seen).containsExactly("A1");
  }

  @Test
  void shouldCarryTheWritesThatQueuedWhileAStatementRanInTheNextOne() {
    List<String> seen = new CopyOnWriteArrayList<>();
    writes.submit("a1").subscribe(seen::add);
    writes.submit("b1").subscribe(seen::add);
    writes.submit("c1").subscribe(seen::add);
    writes.submit("d1").subscribe(seen::add);
    writes.submit("e1").subscribe(seen::add);
    assertThat(statements).hasSize(1);

    completeStatement(0);

    // At most three a statement; the fifth waits for the next.
    assertThat(statements).containsExactly(List.of("a1"), List.of("b1", "c1", "d1"));
    completeStatement(1);
    assertThat(statements).hasSize(3).last().isEqualTo(List.of("e1"));
    completeStatement(2);
    assertThat(seen).containsExactly("A1", "B1", "C1", "D1", "E1");
  }

  @Test
  void shouldNeverPutTwoWritesOfOneIdentityInAStatement() {
    List<String> seen = new CopyOnWriteArrayList<>();
    writes.submit("x0").subscribe(seen::add);
    writes.submit("a1").subscribe(seen::add);
    writes.submit("a2").subscribe(seen::add);
    writes.submit("b1").subscribe(seen::add);

    completeStatement(0);
    assertThat(statements.get(1)).containsExactly("a1", "b1");
    completeStatement(1);
    assertThat(statements.get(2)).containsExactly("a2");
    completeStatement(2);

    assertThat(seen).containsExactlyInAnyOrder("X0", "A1", "B1", "A2");
  }

  @Test
  void shouldFailEveryWriteOfAFailedStatementAndGoOn() {
    writes.submit("a1").subscribe();
    Mono<String> second = writes.submit("b1");
    Mono<String> third = writes.submit("c1");
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    second.subscribe(ignored -> {}, failures::add);
    third.subscribe(ignored -> {}, failures::add);
    completeStatement(0);

    pending.get(1).tryEmitError(new IllegalStateException("connection lost"));

    assertThat(failures).hasSize(2).allMatch(e -> e.getMessage().equals("connection lost"));
    List<String> seen = new CopyOnWriteArrayList<>();
    writes.submit("d1").subscribe(seen::add);
    completeStatement(2);
    assertThat(seen).containsExactly("D1");
  }

  @Test
  void shouldAnswerEmptyForAWriteWithoutAnOutcome() {
    GroupedWrites<String, String> none =
        new GroupedWrites<>(3, batch -> Mono.just(new ArrayList<>()), write -> write);

    assertThat(none.submit("a").blockOptional()).isEmpty();
    assertThatThrownBy(
            () ->
                new GroupedWrites<String, String>(
                        3,
                        batch -> {
                          throw new IllegalArgumentException("bad batch");
                        },
                        write -> write)
                    .submit("a")
                    .block())
        .hasMessage("bad batch");
  }
}
