package io.herald.publishing.jobs;

import java.time.Instant;

/**
 * One post published to one platform connection.
 *
 * @param attempt attempts started so far (the claim of an attempt counts it)
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
    String requestedBy) {}
