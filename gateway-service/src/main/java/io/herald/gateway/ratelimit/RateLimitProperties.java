package io.herald.gateway.ratelimit;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Per-tenant request limits of the gateway, by endpoint class.
 *
 * <p>Example (application.yml): {@code herald.gateway.rate-limits.tenants.acme.commands: {limit:
 * 50, period: 1s}} lets tenant {@code acme} send 50 commands a second (a burst of 50, refilled
 * evenly over the second); classes a tenant does not name use {@link #defaults}.
 *
 * @param enabled whether limits apply at all
 * @param defaults the limits of every tenant not listed in {@code tenants}
 * @param tenants limits by tenant id
 * @param synchronization how long a gateway may count requests locally before it writes them to the
 *     shared buckets; 0 writes every request through. Across {@code n} instances a tenant can
 *     exceed its limit by at most what {@code n} instances admit in this time.
 */
@ConfigurationProperties("herald.gateway.rate-limits")
public record RateLimitProperties(
    Boolean enabled, Limits defaults, Map<String, Limits> tenants, Duration synchronization) {

  public RateLimitProperties {
    if (enabled == null) {
      enabled = true;
    }
    defaults =
        Limits.orElse(
            defaults,
            new Limits(
                new Limit(2_000, Duration.ofSeconds(1)),
                new Limit(2_000, Duration.ofSeconds(1)),
                new Limit(20_000, Duration.ofMinutes(1))));
    tenants = tenants == null ? Map.of() : Map.copyOf(tenants);
    if (synchronization == null) {
      synchronization = Duration.ofMillis(100);
    }
  }

  /** The limit of one tenant's class of endpoints. */
  public Limit limitOf(String tenantId, EndpointClass endpoints) {
    Limits own = tenants.get(tenantId);
    Limit limit = own == null ? null : own.of(endpoints);
    return limit != null ? limit : defaults.of(endpoints);
  }

  /** One limit per class; a missing one falls back to the defaults. */
  public record Limits(Limit commands, Limit reads, Limit streams) {

    Limit of(EndpointClass endpoints) {
      return switch (endpoints) {
        case COMMANDS -> commands;
        case READS -> reads;
        case STREAMS -> streams;
      };
    }

    static Limits orElse(Limits given, Limits fallback) {
      if (given == null) {
        return fallback;
      }
      return new Limits(
          given.commands != null ? given.commands : fallback.commands,
          given.reads != null ? given.reads : fallback.reads,
          given.streams != null ? given.streams : fallback.streams);
    }
  }

  /** {@code limit} requests per {@code period}: at most {@code limit} at once, refilled evenly. */
  public record Limit(long limit, Duration period) {

    public Limit {
      if (limit < 1) {
        throw new IllegalArgumentException("a rate limit allows at least 1 request");
      }
      if (period == null || period.isZero() || period.isNegative()) {
        throw new IllegalArgumentException("a rate limit needs a positive period");
      }
    }
  }
}
