package io.herald.gateway.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.RemoteBucketBuilder;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import io.herald.gateway.ratelimit.RateLimitProperties.Limit;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.springframework.stereotype.Component;

/**
 * Token buckets of Bucket4j in the gateway's PostgreSQL database (table {@code
 * rate_limit_buckets}), one per tenant and endpoint class, so every gateway instance draws from the
 * same bucket. Each instance keeps a local view of a bucket and writes what it consumed back at
 * least every {@code herald.gateway.rate-limits.synchronization}, or sooner once it has admitted
 * that period's share of the limit. The calls block on JDBC: callers run them off the event loop.
 *
 * <p>On top of that, each instance holds a small allowance per bucket: when a request is taken from
 * the bucket, a block of further requests is taken with it (as many as the bucket's tenant sent in
 * the last synchronization period, at most that period's share of the limit, never more than the
 * bucket holds). Requests are admitted from the allowance by {@link #tryLocally} without a database
 * call or a change of thread; an allowance lasts one synchronization period, and what is left of it
 * is given back to the bucket when the next block is taken. With {@code synchronization} zero there
 * is no allowance and every request asks the bucket.
 */
@Component
class RateLimiter {

  private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
  private final RateLimitProperties properties;
  private final Map<Key, Allowance> allowances = new ConcurrentHashMap<>();

  /** A bucket: a tenant's class of endpoints under one limit (a changed limit is a new key). */
  private record Key(String tenantId, EndpointClass endpoints, Limit limit) {}

  /**
   * This instance's proxy of a shared bucket, and the requests it may admit without asking the
   * bucket until {@code expiresAt}.
   */
  private static final class Allowance {
    final BucketProxy bucket;
    long permits;
    long expiresAt;
    long remainingBeyond;
    long nanosToReset;
    long windowStart;
    long usedThisWindow;
    long usedLastWindow;

    Allowance(BucketProxy bucket) {
      this.bucket = bucket;
    }
  }

  RateLimiter(DataSource dataSource, RateLimitProperties properties) {
    this.properties = properties;
    this.buckets =
        Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
            .primaryKeyMapper(PrimaryKeyMapper.STRING)
            .table("rate_limit_buckets")
            .idColumn("id")
            .stateColumn("state")
            .expiresAtColumn("expires_at")
            .expirationAfterWrite(
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                    Duration.ofMinutes(1)))
            .build();
  }

  /**
   * Admits one request from this instance's allowance for the bucket, without blocking; null when
   * there is none left (then {@link #tryConsume} asks the bucket).
   */
  ConsumptionProbe tryLocally(String tenantId, EndpointClass endpoints) {
    if (properties.synchronization().isZero()) {
      return null;
    }
    Allowance allowance =
        allowances.get(new Key(tenantId, endpoints, properties.limitOf(tenantId, endpoints)));
    if (allowance == null) {
      return null;
    }
    long now = System.nanoTime();
    synchronized (allowance) {
      if (allowance.permits <= 0 || now - allowance.expiresAt >= 0) {
        return null;
      }
      count(allowance, now);
      allowance.permits--;
      return ConsumptionProbe.consumed(
          allowance.remainingBeyond + allowance.permits, allowance.nanosToReset);
    }
  }

  /**
   * Takes one request from the tenant's bucket of that class, and a block of further requests for
   * {@link #tryLocally}; blocks on the database.
   */
  ConsumptionProbe tryConsume(String tenantId, EndpointClass endpoints) {
    Limit limit = properties.limitOf(tenantId, endpoints);
    Allowance allowance =
        allowances.computeIfAbsent(
            new Key(tenantId, endpoints, limit),
            key -> new Allowance(bucket(tenantId + '/' + endpoints.key(), limit)));
    BucketProxy bucket = allowance.bucket;
    Duration synchronization = properties.synchronization();
    if (synchronization.isZero()) {
      return bucket.tryConsumeAndReturnRemaining(1);
    }
    long now = System.nanoTime();
    long unused;
    long block;
    synchronized (allowance) {
      count(allowance, now);
      unused = allowance.permits;
      allowance.permits = 0;
      block = Math.min(share(limit, synchronization), Math.max(0, allowance.usedLastWindow - 1));
    }
    if (unused > 0) {
      bucket.addTokens(unused);
    }
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    long wanted = Math.min(block, probe.getRemainingTokens());
    if (!probe.isConsumed() || wanted <= 0) {
      return probe;
    }
    long taken = bucket.tryConsumeAsMuchAsPossible(wanted);
    long beyond = probe.getRemainingTokens() - taken;
    synchronized (allowance) {
      allowance.permits += taken;
      allowance.expiresAt = now + synchronization.toNanos();
      allowance.remainingBeyond = beyond;
      allowance.nanosToReset = probe.getNanosToWaitForReset();
    }
    return ConsumptionProbe.consumed(beyond + taken, probe.getNanosToWaitForReset());
  }

  /** Counts a request in the allowance's synchronization period (the size of the next block). */
  private void count(Allowance allowance, long now) {
    long window = properties.synchronization().toNanos();
    if (now - allowance.windowStart >= window) {
      allowance.usedLastWindow =
          now - allowance.windowStart >= 2 * window ? 0 : allowance.usedThisWindow;
      allowance.usedThisWindow = 0;
      allowance.windowStart = now;
    }
    allowance.usedThisWindow++;
  }

  private static long share(Limit limit, Duration synchronization) {
    return Math.max(
        1, limit.limit() * synchronization.toNanos() / Math.max(1, limit.period().toNanos()));
  }

  /** Deletes up to {@code limit} buckets that are full again and unused; answers how many. */
  int removeExpired(int limit) {
    return buckets.removeExpired(limit);
  }

  private BucketProxy bucket(String id, Limit limit) {
    BucketConfiguration configuration =
        BucketConfiguration.builder()
            .addLimit(
                Bandwidth.builder()
                    .capacity(limit.limit())
                    .refillGreedy(limit.limit(), limit.period())
                    .build())
            .build();
    RemoteBucketBuilder<String> builder =
        buckets
            .builder()
            // A changed limit replaces the stored one, keeping the share of tokens left.
            .withImplicitConfigurationReplacement(
                version(limit), TokensInheritanceStrategy.PROPORTIONALLY);
    Duration synchronization = properties.synchronization();
    if (!synchronization.isZero()) {
      long share =
          Math.max(
              1, limit.limit() * synchronization.toNanos() / Math.max(1, limit.period().toNanos()));
      builder =
          builder.withOptimization(
              Optimizations.delaying(new DelayParameters(share, synchronization)));
    }
    return builder.build(id, () -> configuration);
  }

  private static long version(Limit limit) {
    // Positive and different for every limit and period a tenant is given.
    return limit.limit() * 31 + limit.period().toMillis();
  }
}
