package io.herald.gateway.idempotency;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How long the gateway keeps the first answer to an {@code Idempotency-Key}.
 *
 * @param retention how long a key answers with its first response (and refuses another body); 24
 *     hours unless set
 * @param lease how long one gateway holds a key while its command is in flight; a retry after that
 *     may take the key over (the gateway that held it has most likely stopped). Longer than {@code
 *     herald.gateway.publish-timeout}.
 * @param maxBodySize the largest command body the gateway reads to compare retries; larger bodies
 *     are refused with 413
 */
@ConfigurationProperties("herald.gateway.idempotency")
public record IdempotencyProperties(Duration retention, Duration lease, Integer maxBodySize) {

  public IdempotencyProperties {
    if (retention == null) {
      retention = Duration.ofHours(24);
    }
    if (lease == null) {
      lease = Duration.ofSeconds(30);
    }
    if (maxBodySize == null) {
      maxBodySize = 256 * 1024;
    }
  }
}
