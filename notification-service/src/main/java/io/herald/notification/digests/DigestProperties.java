package io.herald.notification.digests;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How notification-service sends digests.
 *
 * <p>Example ({@code application.yml}):
 *
 * <pre>
 * herald.digests:
 *   poll-interval: 1s
 *   batch-size: 1000
 *   exclude-read: true
 *   max-items: 50
 *   concurrency: 2
 * </pre>
 *
 * @param enabled whether this instance sends digests (every instance may: they share the work)
 * @param pollInterval how often an idle instance looks for digests that have become due
 * @param batchSize digests taken per round (one claim, one read of their items, their records sent
 *     together, one write of each kind); while more are due the next round starts at once
 * @param excludeRead leave out items whose in-app copy was read (or archived) before the digest
 * @param maxItems items listed in one digest; the rest are counted ("and 12 more")
 * @param sendTimeout how long a round waits for the broker to take its records
 * @param concurrency rounds an instance runs at once (each claims its own digests); the database
 *     does most of a round's work, so two keep two of its cores busy
 */
@ConfigurationProperties("herald.digests")
public record DigestProperties(
    Boolean enabled,
    Duration pollInterval,
    int batchSize,
    Boolean excludeRead,
    int maxItems,
    Duration sendTimeout,
    int concurrency) {

  public DigestProperties {
    enabled = enabled == null || enabled;
    pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
    batchSize = batchSize <= 0 ? 1000 : batchSize;
    excludeRead = excludeRead == null || excludeRead;
    maxItems = maxItems <= 0 ? 50 : maxItems;
    sendTimeout = sendTimeout == null ? Duration.ofSeconds(30) : sendTimeout;
    concurrency = concurrency <= 0 ? 2 : concurrency;
  }
}
