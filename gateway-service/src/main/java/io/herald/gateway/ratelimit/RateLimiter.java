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
 */
@Component
class RateLimiter {

  private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
  private final RateLimitProperties properties;
  private final Map<String, BucketProxy> local = new ConcurrentHashMap<>();

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

  /** Takes one request from the tenant's bucket of that class; blocks on the database. */
  ConsumptionProbe tryConsume(String tenantId, EndpointClass endpoints) {
    Limit limit = properties.limitOf(tenantId, endpoints);
    String id = tenantId + '/' + endpoints.key();
    BucketProxy bucket = local.computeIfAbsent(id + '/' + limit, ignored -> bucket(id, limit));
    return bucket.tryConsumeAndReturnRemaining(1);
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
