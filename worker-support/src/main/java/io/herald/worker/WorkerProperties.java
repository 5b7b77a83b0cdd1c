package io.herald.worker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of a channel worker.
 *
 * <p>Example ({@code application.yml} of email-worker):
 *
 * <pre>
 * herald.worker:
 *   retry-delays: 1s, 5s, 30s, 2m, 10m
 *   provider-order: smtp, sendgrid
 *   tenants:
 *     globex:
 *       provider-order: sendgrid, smtp
 *   providers:
 *     sendgrid:
 *       rate-limit: 100
 * </pre>
 *
 * @param concurrency consumer threads on the channel topic (at most its partition count is useful)
 * @param maxBatch records per poll, and so per batch
 * @param retryDelays the delay of each retry topic ({@code <topic>-retry-<ms>}); a delivery gets
 *     {@code retryDelays.size() + 1} attempts in all
 * @param instanceId stable id of this instance: transactional ids and static group membership, so
 *     that a restarted instance fences its predecessor at once
 * @param providerOrder the providers to try, in order, unless a tenant has its own
 * @param tenants per-tenant settings
 * @param providers per-provider settings, by provider name
 * @param transactionTimeout broker-side timeout of a batch's transaction
 * @param ledgerRetention how long the ledger remembers a send; longer than the channel topic keeps
 *     records plus the retry delays, or an old record could be sent again
 */
@ConfigurationProperties("herald.worker")
public record WorkerProperties(
    Integer concurrency,
    Integer maxBatch,
    List<Duration> retryDelays,
    String instanceId,
    List<String> providerOrder,
    Map<String, TenantSettings> tenants,
    Map<String, ProviderSettings> providers,
    Duration transactionTimeout,
    Duration ledgerRetention) {

  public WorkerProperties {
    concurrency = concurrency == null || concurrency < 1 ? 3 : concurrency;
    maxBatch = maxBatch == null || maxBatch < 1 ? 500 : maxBatch;
    retryDelays =
        retryDelays == null
            ? List.of(
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                Duration.ofMinutes(2),
                Duration.ofMinutes(10))
            : List.copyOf(retryDelays);
    instanceId = instanceId == null || instanceId.isBlank() ? "worker-1" : instanceId;
    providerOrder = providerOrder == null ? List.of() : List.copyOf(providerOrder);
    tenants = tenants == null ? Map.of() : Map.copyOf(tenants);
    providers = providers == null ? Map.of() : Map.copyOf(providers);
    transactionTimeout = transactionTimeout == null ? Duration.ofMinutes(2) : transactionTimeout;
    ledgerRetention = ledgerRetention == null ? Duration.ofDays(14) : ledgerRetention;
  }

  /** Attempts a delivery gets before it fails for good. */
  public int maxAttempts() {
    return retryDelays.size() + 1;
  }

  public List<String> providerOrderOf(String tenantId) {
    TenantSettings tenant = tenants.get(tenantId);
    return tenant == null || tenant.providerOrder() == null || tenant.providerOrder().isEmpty()
        ? providerOrder
        : tenant.providerOrder();
  }

  public ProviderSettings provider(String name) {
    return providers.getOrDefault(name, ProviderSettings.DEFAULTS);
  }

  /**
   * @param providerOrder the providers to try for this tenant's deliveries, in order
   */
  public record TenantSettings(List<String> providerOrder) {}

  /**
   * Resilience settings of one provider.
   *
   * @param rateLimit sends per second per provider account; 0 for no limit
   * @param rateLimitWait how long a send may wait for a permit before it is deferred to a retry
   *     topic
   * @param maxConcurrency sends in flight at once on this instance
   * @param timeout how long one send may take before it counts as a transient failure
   * @param failureRateThreshold percentage of failed (or slow) calls that opens the circuit
   * @param slidingWindow calls the failure rate is measured over
   * @param minimumCalls calls needed before the failure rate counts
   * @param openFor how long an open circuit stays open before it lets probes through
   * @param slowCall a call slower than this counts as slow
   */
  public record ProviderSettings(
      Integer rateLimit,
      Duration rateLimitWait,
      Integer maxConcurrency,
      Duration timeout,
      Float failureRateThreshold,
      Integer slidingWindow,
      Integer minimumCalls,
      Duration openFor,
      Duration slowCall) {

    static final ProviderSettings DEFAULTS =
        new ProviderSettings(null, null, null, null, null, null, null, null, null);

    public ProviderSettings {
      rateLimit = rateLimit == null || rateLimit < 0 ? 0 : rateLimit;
      rateLimitWait = rateLimitWait == null ? Duration.ofSeconds(2) : rateLimitWait;
      maxConcurrency = maxConcurrency == null || maxConcurrency < 1 ? 256 : maxConcurrency;
      timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
      failureRateThreshold = failureRateThreshold == null ? 50f : failureRateThreshold;
      slidingWindow = slidingWindow == null ? 50 : slidingWindow;
      minimumCalls = minimumCalls == null ? 20 : minimumCalls;
      openFor = openFor == null ? Duration.ofSeconds(5) : openFor;
      slowCall = slowCall == null ? Duration.ofSeconds(5) : slowCall;
    }
  }
}
