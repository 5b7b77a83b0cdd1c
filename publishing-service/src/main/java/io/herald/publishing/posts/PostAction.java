package io.herald.publishing.posts;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What can be done to an existing post, and from which states. The one place these rules live: the
 * consumer applies them to the events it reads, and the API lists a post's {@link
 * #allowedIn(PostState)} actions so that the gateway can refuse a command before it becomes an
 * event.
 */
public enum PostAction {
  UPDATE(EnumSet.of(PostState.DRAFT, PostState.REJECTED)),
  SUBMIT(EnumSet.of(PostState.DRAFT)),
  APPROVE(EnumSet.of(PostState.PENDING_APPROVAL)),
  REJECT(EnumSet.of(PostState.PENDING_APPROVAL)),
  PUBLISH(EnumSet.of(PostState.APPROVED)),
  CANCEL(EnumSet.of(PostState.SCHEDULED)),
  RETRY(EnumSet.of(PostState.FAILED, PostState.PARTIALLY_PUBLISHED));

  private final Set<PostState> from;

  PostAction(Set<PostState> from) {
    this.from = from;
  }

  public boolean allowedFrom(PostState state) {
    return from.contains(state);
  }

  /** The states this action applies to, for messages: {@code draft or rejected}. */
  public String allowedStates() {
    return String.join(" or ", from.stream().map(PostState::wire).toList());
  }

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static List<PostAction> allowedIn(PostState state) {
    return EnumSet.allOf(PostAction.class).stream().filter(a -> a.allowedFrom(state)).toList();
  }
}
