package io.herald.publishing.platforms;

import io.herald.publishing.connections.PlatformConnection;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One social platform's publishing API. Calls are asynchronous: a job runner issues a batch of them
 * and awaits them together; the future never fails, every error is a {@link PublishOutcome}.
 */
public interface PlatformClient {

  /** {@code X}, {@code LINKEDIN}, {@code FACEBOOK}. */
  String platform();

  /**
   * Publishes the post's text and media on the connection's account.
   *
   * @param idempotencyToken the job's id, stable across attempts, for platforms that take one
   */
  CompletableFuture<PublishOutcome> publish(
      PlatformConnection connection, String text, List<String> mediaUrls, String idempotencyToken);

  /**
   * Looks on the connection's account for this post, made since {@code since} by an attempt whose
   * answer was lost (its instance died mid-call, or the call timed out). Completes with {@link
   * PublishOutcome.Published} (with {@code foundEarlier}) when the post is there, null when it is
   * not (the job then publishes), or a failure outcome when the platform could not be asked (the
   * job then retries later, so that a post is not made twice on a guess).
   */
  CompletableFuture<PublishOutcome> findPublished(
      PlatformConnection connection, String text, List<String> mediaUrls, Instant since);

  /** What the audit log records of the request: endpoint and sizes, never a token. */
  String describe(PlatformConnection connection, String text, List<String> mediaUrls);
}
