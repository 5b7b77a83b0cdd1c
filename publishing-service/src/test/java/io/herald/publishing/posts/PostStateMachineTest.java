package io.herald.publishing.posts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every post event against every state: applied where the rules allow it, refused elsewhere. */
class PostStateMachineTest {

  private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

  /** The states each consumed action leads to, and the only states it applies in. */
  private static final Map<PostAction, PostState> TARGET =
      Map.of(
          PostAction.UPDATE, PostState.DRAFT,
          PostAction.SUBMIT, PostState.PENDING_APPROVAL,
          PostAction.APPROVE, PostState.APPROVED,
          PostAction.REJECT, PostState.REJECTED,
          PostAction.PUBLISH, PostState.PUBLISHING,
          PostAction.CANCEL, PostState.CANCELLED,
          PostAction.RETRY, PostState.PUBLISHING);

  private static final Map<PostAction, List<PostState>> ALLOWED =
      Map.of(
          PostAction.UPDATE, List.of(PostState.DRAFT, PostState.REJECTED),
          PostAction.SUBMIT, List.of(PostState.DRAFT),
          PostAction.APPROVE, List.of(PostState.PENDING_APPROVAL),
          PostAction.REJECT, List.of(PostState.PENDING_APPROVAL),
          PostAction.PUBLISH, List.of(PostState.APPROVED),
          PostAction.CANCEL, List.of(PostState.SCHEDULED),
          PostAction.RETRY, List.of(PostState.FAILED, PostState.PARTIALLY_PUBLISHED));

  static Stream<Arguments> everyStateAndAction() {
    return Stream.of(PostState.values())
        .flatMap(state -> TARGET.keySet().stream().map(action -> Arguments.of(state, action)));
  }

  @ParameterizedTest(name = "{1} on a {0} post")
  @MethodSource("everyStateAndAction")
  void shouldApplyAnActionExactlyWhereItIsAllowed(PostState state, PostAction action) {
    Post current = post(state);

    PostStateMachine.Result result = PostStateMachine.apply(current, command(action), NOW);

    if (ALLOWED.get(action).contains(state)) {
      assertThat(result.applied()).isTrue();
      assertThat(result.post().state()).isEqualTo(TARGET.get(action));
      assertThat(result.post().version()).isEqualTo(current.version() + 1);
      assertThat(result.entry().outcome()).isEqualTo(PostHistoryEntry.Outcome.APPLIED);
      assertThat(result.entry().fromState()).isEqualTo(state);
    } else {
      assertThat(result.applied()).isFalse();
      assertThat(result.entry().outcome()).isEqualTo(PostHistoryEntry.Outcome.REFUSED);
      assertThat(result.entry().fromState()).isEqualTo(state);
      assertThat(result.entry().detail()).startsWith("post is " + state.wire() + ";");
    }
  }

  @Test
  void shouldScheduleAPublishAskedForLater() {
    PostCommand later =
        new PostCommand(
            "e-p",
            "acme",
            "p-1",
            "PublishRequested",
            "rita",
            NOW,
            PostAction.PUBLISH,
            null,
            null,
            null,
            null,
            null,
            null,
            List.of("c-1"),
            NOW.plusSeconds(60),
            null);

    assertThat(PostStateMachine.apply(post(PostState.APPROVED), later, NOW).post().state())
        .isEqualTo(PostState.SCHEDULED);
  }

  @Test
  void shouldListTheActionsEachStateAllows() {
    assertThat(PostAction.allowedIn(PostState.DRAFT))
        .containsExactly(PostAction.UPDATE, PostAction.SUBMIT);
    assertThat(PostAction.allowedIn(PostState.PENDING_APPROVAL))
        .containsExactly(PostAction.APPROVE, PostAction.REJECT);
    assertThat(PostAction.allowedIn(PostState.APPROVED)).containsExactly(PostAction.PUBLISH);
    assertThat(PostAction.allowedIn(PostState.SCHEDULED)).containsExactly(PostAction.CANCEL);
    assertThat(PostAction.allowedIn(PostState.FAILED)).containsExactly(PostAction.RETRY);
    assertThat(PostAction.allowedIn(PostState.PUBLISHED)).isEmpty();
    assertThat(PostAction.allowedIn(PostState.CANCELLED)).isEmpty();
  }

  @Test
  void shouldKeepTheRejectionReasonUntilThePostIsEdited() {
    PostStateMachine.Result rejected =
        PostStateMachine.apply(post(PostState.PENDING_APPROVAL), command(PostAction.REJECT), NOW);
    assertThat(rejected.post().reason()).isEqualTo("note");
    assertThat(rejected.post().reviewedBy()).isEqualTo("rita");

    PostStateMachine.Result edited =
        PostStateMachine.apply(rejected.post(), command(PostAction.UPDATE), NOW);
    assertThat(edited.post().reason()).isNull();
    assertThat(edited.post().text()).isEqualTo("new text");
  }

  @Test
  void shouldRefuseToCreateAPostTwiceOrToChangeOneThatDoesNotExist() {
    PostCommand create =
        new PostCommand(
            "e-1",
            "acme",
            "p-1",
            "PostCreated",
            "alice",
            NOW,
            null,
            "shoes",
            "alice",
            "Hi",
            List.of(),
            List.of("X"),
            null,
            null,
            null,
            null);

    assertThat(PostStateMachine.apply(null, create, NOW).post().state()).isEqualTo(PostState.DRAFT);
    assertThat(PostStateMachine.apply(post(PostState.DRAFT), create, NOW).entry().detail())
        .isEqualTo("post p-1 already exists");
    assertThat(PostStateMachine.apply(null, command(PostAction.SUBMIT), NOW).entry().detail())
        .isEqualTo("no post p-1");
  }

  private static Post post(PostState state) {
    return new Post(
        "acme",
        "p-1",
        "shoes",
        "alice",
        "text",
        List.of(),
        List.of("X"),
        state,
        null,
        null,
        4,
        NOW.minusSeconds(60),
        NOW.minusSeconds(60));
  }

  private static PostCommand command(PostAction action) {
    boolean content = action == PostAction.UPDATE;
    return new PostCommand(
        "e-" + action,
        "acme",
        "p-1",
        action.name(),
        "rita",
        NOW,
        action,
        null,
        null,
        content ? "new text" : null,
        content ? List.of() : null,
        content ? List.of("X") : null,
        "note",
        null,
        null,
        null);
  }
}
