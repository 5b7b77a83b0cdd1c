package io.herald.gateway.admin;

import java.time.Instant;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One record of a dead-letter topic as an operator sees it.
 *
 * @param id {@code <partition>-<offset>} in its dead-letter topic
 * @param reason the error message the record was dead-lettered with
 * @param exceptionClass the class of that error
 * @param errorHeaders every header of both naming schemes ({@code kafka_dlt-exception-*}, {@code
 *     kafka_exception-*}) and Herald's {@code herald-error-*}, as text
 * @param payload the value decoded through the registry, or null if it cannot be
 * @param payloadError why the value could not be decoded, or null
 * @param tenantId the payload's tenant, or null if it cannot be read
 */
public record DeadLetter(
    String id,
    String topic,
    int partition,
    long offset,
    Instant timestamp,
    String key,
    String originalTopic,
    Integer originalPartition,
    Long originalOffset,
    Instant originalTimestamp,
    String reason,
    String exceptionClass,
    Map<String, String> errorHeaders,
    JsonNode payload,
    String payloadError,
    String tenantId) {}
