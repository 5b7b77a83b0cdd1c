package io.herald.publishing.jobs;

import java.time.Instant;

/**
 * One post published to one platform connection.
 *
 * @param attempt attempts started so far (the claim of an attempt counts it)
 * @param checkSince set when an earlier attempt may have published without Herald learning of it
 *     (its instance died mid-call, or the call timed out): the platform is searched for the post
 *     from this instant on before it is published again; null otherwise
 * @param traceParent the W3C trace context of the command that created the job; null when it had
 *     none
 */
public record Job(
    String jobId,
    String tenantId,
    String postId,
    String brandId,
    String connectionId,
    String platform,
    JobState state,
    Instant dueAt,
    int attempt,
    int maxAttempts,
    String requestedBy,
    Instant checkSince,
    String traceParent) {}
