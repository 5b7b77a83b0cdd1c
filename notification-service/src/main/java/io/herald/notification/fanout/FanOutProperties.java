package io.herald.notification.fanout;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How notification-service fans requests out.
 *
 * <p>Example ({@code application.yml}):
 *
 * <pre>
 * herald.fanout:
 *   page-size: 1000
 *   max-batch: 500
 *   chunks-per-batch: 4
 *   concurrency: 3
 *   instance-id: ${HERALD_INSTANCE_ID:notification-1}
 * </pre>
 *
 * @param pageSize largest audience handled inside one request's batch; a larger one is split into
 *     chunks of this many users on {@code notification.fanout-chunks.v1}
 * @param maxBatch requests taken per poll (and so per database statement and Kafka transaction)
 * @param chunksPerBatch chunks taken per poll; a chunk holds up to a page of recipients
 * @param concurrency consumer threads per listener; more than the topic's partitions idle
 * @param instanceId identifies this instance among its peers: the transactional ids of its
 *     producers derive from it, so a restarted instance fences its predecessor's unfinished
 *     transactions at once. Must differ between instances running at the same time.
 * @param sendTimeout how long a batch waits for the broker to acknowledge its records
 * @param transactionTimeout how long the broker keeps a transaction of a vanished instance open
 *     before aborting it (only matters if the instance never comes back under the same id)
 */
@ConfigurationProperties("herald.fanout")
public record FanOutProperties(
    int pageSize,
    int maxBatch,
    int chunksPerBatch,
    int concurrency,
    String instanceId,
    Duration sendTimeout,
    Duration transactionTimeout) {

  public FanOutProperties {
    pageSize = pageSize <= 0 ? 1000 : pageSize;
    maxBatch = maxBatch <= 0 ? 500 : maxBatch;
    chunksPerBatch = chunksPerBatch <= 0 ? 4 : chunksPerBatch;
    concurrency = concurrency <= 0 ? 3 : concurrency;
    instanceId = instanceId == null || instanceId.isBlank() ? "notification-1" : instanceId;
    sendTimeout = sendTimeout == null ? Duration.ofSeconds(30) : sendTimeout;
    transactionTimeout = transactionTimeout == null ? Duration.ofSeconds(30) : transactionTimeout;
  }
}
