package io.herald.publishing;

import java.time.Duration;
import java.util.Map;
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
 *   jobs:
 *     max-attempts: 3
 *     first-backoff: 1s
 *     max-backoff: 30s
 * </pre>
 *
 * @param maxBatch records taken per poll (and so per database transaction and Kafka transaction)
 * @param concurrency consumer threads per listener; more than the topics' partitions idle
 * @param instanceId identifies this instance among its peers (transactional ids, static group
 *     membership); must differ between instances running at the same time
 * @param transactionTimeout how long the broker keeps a transaction of a vanished instance open
 * @param jobs how publishing jobs run
 * @param tokenKeys AES-256 keys (base64) that seal platform tokens, by key id
 * @param activeTokenKey the key id new tokens are sealed with
 * @param platforms the API base URL of each platform ({@code X}, {@code LINKEDIN}, {@code
 *     FACEBOOK}; Facebook's with the Graph API version, {@code https://graph.facebook.com/v23.0})
 * @param linkedinVersion the {@code LinkedIn-Version} (YYYYMM) of LinkedIn's versioned API;
 *     LinkedIn serves each version for a year
 */
@ConfigurationProperties("herald.publishing")
public record PublishingProperties(
    int maxBatch,
    int concurrency,
    String instanceId,
    Duration transactionTimeout,
    Jobs jobs,
    Map<String, String> tokenKeys,
    String activeTokenKey,
    Map<String, String> platforms,
    String linkedinVersion) {

  /**
   * @param maxAttempts attempts of a job before a transient failure is final
   * @param firstBackoff wait after the first failed attempt; doubled after each, up to maxBackoff
   * @param maxBackoff the longest wait between attempts (a platform's Retry-After may ask longer)
   * @param batch jobs claimed at once by one runner
   * @param lease how long a claimed job is an instance's; a job whose lease expired (its instance
   *     died) is claimed again
   * @param pollInterval how often the runner looks for due jobs when the last look found none
   * @param callTimeout how long one platform call may take
   * @param inFlight platform calls in flight at once per instance
   */
  public record Jobs(
      int maxAttempts,
      Duration firstBackoff,
      Duration maxBackoff,
      int batch,
      Duration lease,
      Duration pollInterval,
      Duration callTimeout,
      int inFlight) {

    public Jobs {
      maxAttempts = maxAttempts <= 0 ? 3 : maxAttempts;
      firstBackoff = firstBackoff == null ? Duration.ofSeconds(1) : firstBackoff;
      maxBackoff = maxBackoff == null ? Duration.ofSeconds(30) : maxBackoff;
      batch = batch <= 0 ? 200 : batch;
      lease = lease == null ? Duration.ofSeconds(60) : lease;
      pollInterval = pollInterval == null ? Duration.ofMillis(250) : pollInterval;
      callTimeout = callTimeout == null ? Duration.ofSeconds(20) : callTimeout;
      inFlight = inFlight <= 0 ? 256 : inFlight;
    }

    /** The wait before attempt {@code next} (2, 3, …). */
    public Duration backoff(int next) {
      long millis = firstBackoff.toMillis() << Math.min(20, Math.max(0, next - 2));
      return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
  }

  /** The base URL of {@code platform}'s API. */
  public String platformUrl(String platform) {
    String url = platforms.get(platform);
    if (url == null || url.isBlank()) {
      throw new IllegalStateException("no API URL for platform " + platform);
    }
    return url;
  }

  public PublishingProperties {
    maxBatch = maxBatch <= 0 ? 500 : maxBatch;
    concurrency = concurrency <= 0 ? 3 : concurrency;
    instanceId = instanceId == null || instanceId.isBlank() ? "publishing-1" : instanceId;
    transactionTimeout = transactionTimeout == null ? Duration.ofSeconds(30) : transactionTimeout;
    jobs = jobs == null ? new Jobs(0, null, null, 0, null, null, null, 0) : jobs;
    tokenKeys = tokenKeys == null ? Map.of() : Map.copyOf(tokenKeys);
    platforms = platforms == null ? Map.of() : Map.copyOf(platforms);
    linkedinVersion =
        linkedinVersion == null || linkedinVersion.isBlank() ? "202611" : linkedinVersion;
  }
}
