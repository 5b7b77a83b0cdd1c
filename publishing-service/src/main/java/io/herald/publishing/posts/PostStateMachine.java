package io.herald.publishing.posts;

import java.time.Instant;

/**
 * Applies one {@link PostCommand} to a post (publish, cancel and retry only move the post; their
 * jobs are the listener's): the post as it becomes, or a refusal that names the state that refused
 * it. Refusals are facts too: they are recorded in the post's history and counted, never thrown.
 */
final class PostStateMachine {

  /** What became of a command: the post after it (null when refused) and its history entry. */
  record Result(Post post, PostHistoryEntry entry) {

    boolean applied() {
      return post != null;
    }
  }

  private PostStateMachine() {}

  static Result apply(Post current, PostCommand command, Instant now) {
    if (command.action() == null) {
      if (current != null) {
        return refused(current, command, "post " + command.postId() + " already exists");
      }
      Post created =
          new Post(
              command.tenantId(),
              command.postId(),
              command.brandId(),
              command.authorId(),
              command.text(),
              command.mediaUrls(),
              command.platforms(),
              PostState.DRAFT,
              null,
              null,
              1,
              command.occurredAt(),
              now);
      return applied(null, created, command, null);
    }
    if (current == null) {
      return refused(null, command, "no post " + command.postId());
    }
    PostAction action = command.action();
    if (!action.allowedFrom(current.state())) {
      return refused(
          current,
          command,
          "post is "
              + current.state().wire()
              + "; only a "
              + action.allowedStates()
              + " post can be "
              + past(action));
    }
    Instant at = now;
    Post next =
        switch (action) {
          case UPDATE ->
              current.withContent(command.text(), command.mediaUrls(), command.platforms(), at);
          case SUBMIT -> current.moved(PostState.PENDING_APPROVAL, null, null, at);
          case APPROVE -> current.moved(PostState.APPROVED, null, command.actor(), at);
          case REJECT -> current.moved(PostState.REJECTED, command.note(), command.actor(), at);
          case PUBLISH ->
              current.moved(
                  command.scheduledAt() != null && command.scheduledAt().isAfter(now)
                      ? PostState.SCHEDULED
                      : PostState.PUBLISHING,
                  null,
                  current.reviewedBy(),
                  at);
          case CANCEL -> current.moved(PostState.CANCELLED, null, current.reviewedBy(), at);
          case RETRY -> current.moved(PostState.PUBLISHING, null, current.reviewedBy(), at);
        };
    return applied(current, next, command, command.note());
  }

  static String past(PostAction action) {
    return switch (action) {
      case UPDATE -> "updated";
      case SUBMIT -> "submitted";
      case APPROVE -> "approved";
      case REJECT -> "rejected";
      case PUBLISH -> "published";
      case CANCEL -> "cancelled";
      case RETRY -> "retried";
    };
  }

  private static Result applied(Post before, Post after, PostCommand command, String detail) {
    return new Result(
        after,
        new PostHistoryEntry(
            command.eventId(),
            command.tenantId(),
            command.postId(),
            command.type(),
            command.actor(),
            PostHistoryEntry.Outcome.APPLIED,
            before == null ? null : before.state(),
            after.state(),
            detail,
            command.occurredAt()));
  }

  /** A refusal for a reason the state alone does not show (an unknown connection or job). */
  static Result refused(Post current, PostCommand command, String why) {
    return new Result(
        null,
        new PostHistoryEntry(
            command.eventId(),
            command.tenantId(),
            command.postId(),
            command.type(),
            command.actor(),
            PostHistoryEntry.Outcome.REFUSED,
            current == null ? null : current.state(),
            null,
            why,
            command.occurredAt()));
  }
}
