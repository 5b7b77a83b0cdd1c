package io.herald.notification.scheduling;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How notification-service holds notifications for later ({@code sendAt}).
 *
 * <p>Example ({@code application.yml}):
 *
 * <pre>
 * herald.scheduling:
 *   poll-interval: 200ms
 *   batch-size: 1000
 * </pre>
 *
 * @param pollInterval how often an idle instance looks for notifications that have become due; a
 *     notification is written back to its topic at most about this long after its time
 * @param batchSize due notifications taken per round (one query, one update, their records sent
 *     together); while more are due the next round starts at once
 * @param sendTimeout how long a round waits for the broker to acknowledge its records
 */
@ConfigurationProperties("herald.scheduling")
public record SchedulingProperties(Duration pollInterval, int batchSize, Duration sendTimeout) {

  public SchedulingProperties {
    pollInterval = pollInterval == null ? Duration.ofMillis(200) : pollInterval;
    batchSize = batchSize <= 0 ? 1000 : batchSize;
    sendTimeout = sendTimeout == null ? Duration.ofSeconds(30) : sendTimeout;
  }
}
