package io.herald.publishing;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How publishing-service consumes its topics.
 *
 * <p>Example ({@code application.yml}):
 *
 * <pre>
 * herald.publishing:
 *   max-batch: 500
 *   concurrency: 3
 *   instance-id: ${HERALD_INSTANCE_ID:publishing-1}
 * </pre>
 *
 * @param maxBatch records taken per poll (and so per database transaction and Kafka transaction)
 * @param concurrency consumer threads per listener; more than the topics' partitions idle
 * @param instanceId identifies this instance among its peers (transactional ids, static group
 *     membership); must differ between instances running at the same time
 * @param transactionTimeout how long the broker keeps a transaction of a vanished instance open
 */
@ConfigurationProperties("herald.publishing")
public record PublishingProperties(
    int maxBatch, int concurrency, String instanceId, Duration transactionTimeout) {

  public PublishingProperties {
    maxBatch = maxBatch <= 0 ? 500 : maxBatch;
    concurrency = concurrency <= 0 ? 3 : concurrency;
    instanceId = instanceId == null || instanceId.isBlank() ? "publishing-1" : instanceId;
    transactionTimeout = transactionTimeout == null ? Duration.ofSeconds(30) : transactionTimeout;
  }
}
