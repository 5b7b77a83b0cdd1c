package io.herald.publishing.posts;

import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentRejected;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PostUpdated;
import io.herald.events.v1.PublishCancelRequested;
import io.herald.events.v1.PublishRequested;
import io.herald.events.v1.PublishRetryRequested;
import io.herald.support.kafka.PoisonRecordException;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One event of {@code content.approvals.v1} or {@code publishing.requests.v1}, whatever its type:
 * who did what to which post.
 *
 * @param action null for the creation of the post
 * @param text, mediaUrls, platforms the content, for a creation or an update
 * @param brandId, authorId for a creation
 * @param note a rejection's reason, an approval's comment, a cancellation's reason
 * @param connectionIds the connections a publish request targets
 * @param scheduledAt when a publish request wants the post out; null for now
 * @param jobId the job a retry request is about
 */
record PostCommand(
    String eventId,
    String tenantId,
    String postId,
    String type,
    String actor,
    Instant occurredAt,
    PostAction action,
    String brandId,
    String authorId,
    String text,
    List<String> mediaUrls,
    List<String> platforms,
    String note,
    List<String> connectionIds,
    Instant scheduledAt,
    String jobId) {

  /** The platforms a post can target. */
  static final Set<String> PLATFORMS = Set.of("X", "LINKEDIN", "FACEBOOK");

  /**
   * @throws PoisonRecordException for a value of another type or content that breaks the contract
   */
  static PostCommand of(String key, Object value) {
    PostCommand command;
    if (value instanceof PostCreated e) {
      command =
          new PostCommand(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "PostCreated",
              e.getAuthorId(),
              e.getOccurredAt(),
              null,
              e.getBrandId(),
              e.getAuthorId(),
              e.getText(),
              e.getMediaUrls(),
              e.getPlatforms(),
              null,
              null,
              null,
              null);
    } else if (value instanceof PostUpdated e) {
      command =
          new PostCommand(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "PostUpdated",
              e.getUpdatedBy(),
              e.getOccurredAt(),
              PostAction.UPDATE,
              null,
              null,
              e.getText(),
              e.getMediaUrls(),
              e.getPlatforms(),
              null,
              null,
              null,
              null);
    } else if (value instanceof PostSubmitted e) {
      command =
          transition(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "PostSubmitted",
              e.getSubmittedBy(),
              e.getOccurredAt(),
              PostAction.SUBMIT,
              null);
    } else if (value instanceof ContentApproved e) {
      command =
          transition(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "ContentApproved",
              e.getApprovedBy(),
              e.getOccurredAt(),
              PostAction.APPROVE,
              e.getComment());
    } else if (value instanceof ContentRejected e) {
      command =
          transition(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "ContentRejected",
              e.getRejectedBy(),
              e.getOccurredAt(),
              PostAction.REJECT,
              e.getReason());
    } else if (value instanceof PublishRequested e) {
      command =
          new PostCommand(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "PublishRequested",
              e.getRequestedBy(),
              e.getOccurredAt(),
              PostAction.PUBLISH,
              null,
              null,
              null,
              null,
              null,
              null,
              List.copyOf(e.getPlatforms()),
              e.getScheduledAt(),
              null);
    } else if (value instanceof PublishCancelRequested e) {
      command =
          transition(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "PublishCancelRequested",
              e.getRequestedBy(),
              e.getOccurredAt(),
              PostAction.CANCEL,
              e.getReason());
    } else if (value instanceof PublishRetryRequested e) {
      command =
          new PostCommand(
              e.getEventId(),
              e.getTenantId(),
              e.getPostId(),
              "PublishRetryRequested",
              e.getRequestedBy(),
              e.getOccurredAt(),
              PostAction.RETRY,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              e.getJobId());
    } else {
      throw new PoisonRecordException(
          "not an event of content.approvals.v1 or publishing.requests.v1: "
              + (value == null ? "null" : value.getClass().getName()));
    }
    return command.checked(key);
  }

  private static PostCommand transition(
      String eventId,
      String tenantId,
      String postId,
      String type,
      String actor,
      Instant occurredAt,
      PostAction action,
      String note) {
    return new PostCommand(
        eventId,
        tenantId,
        postId,
        type,
        actor,
        occurredAt,
        action,
        null,
        null,
        null,
        null,
        null,
        note,
        null,
        null,
        null);
  }

  private PostCommand checked(String key) {
    if (!postId.equals(key)) {
      throw new PoisonRecordException("key " + key + " is not the event's postId " + postId);
    }
    if (tenantId.isBlank() || postId.isBlank() || actor.isBlank()) {
      throw new PoisonRecordException(type + " needs tenantId, postId and its actor");
    }
    if (action == PostAction.REJECT && (note == null || note.isBlank())) {
      throw new PoisonRecordException("ContentRejected needs a reason");
    }
    if (action == null && (brandId.isBlank() || authorId.isBlank())) {
      throw new PoisonRecordException("PostCreated needs brandId and authorId");
    }
    if (action == PostAction.PUBLISH && connectionIds.isEmpty()) {
      throw new PoisonRecordException("PublishRequested names no connection to publish to");
    }
    if (action == PostAction.RETRY && (jobId == null || jobId.isBlank())) {
      throw new PoisonRecordException("PublishRetryRequested needs a jobId");
    }
    if (text != null) {
      if (text.isBlank()) {
        throw new PoisonRecordException(type + " has no text");
      }
      if (platforms.isEmpty() || !PLATFORMS.containsAll(platforms)) {
        throw new PoisonRecordException(
            type + " targets " + platforms + "; platforms must be some of " + PLATFORMS);
      }
    }
    return this;
  }
}
