package io.herald.worker;

import io.herald.events.v1.Channel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The delivery metrics of a channel worker, with low-cardinality tags only (channel, provider,
 * outcome, reason code):
 *
 * <ul>
 *   <li>{@code herald_deliveries_total{channel,provider,outcome}}: sent, failed_transient,
 *       failed_permanent, contact_invalid, deferred, duplicate;
 *   <li>{@code herald_delivery_duration_seconds{channel,provider,outcome}}: provider call time;
 *   <li>{@code herald_delivery_retries_total{channel,reason}} and {@code
 *       herald_delivery_dead_letters_total{channel,reason}};
 *   <li>{@code herald_provider_configuration_errors_total{channel,provider,code}}: credentials or
 *       account settings an operator must fix (alert on any);
 *   <li>{@code herald_rate_limiter_wait_seconds{provider}}: time sends waited for a permit.
 * </ul>
 *
 * Circuit breaker state comes from Resilience4j's own meters ({@code
 * resilience4j_circuitbreaker_state{name}}).
 */
public final class DeliveryMetrics {

  private final MeterRegistry meters;
  private final String channel;

  DeliveryMetrics(MeterRegistry meters, Channel channel) {
    this.meters = meters;
    this.channel = channel.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The meters of one provider and outcome, looked up once: this runs for every delivery. */
  private record OutcomeMeters(Counter count, Timer duration) {}

  private final java.util.Map<String, OutcomeMeters> outcomes =
      new java.util.concurrent.ConcurrentHashMap<>();

  void outcome(String provider, String outcome, Duration took) {
    OutcomeMeters m =
        outcomes.computeIfAbsent(
            provider + '\0' + outcome,
            key ->
                new OutcomeMeters(
                    Counter.builder("herald.deliveries")
                        .tags("channel", channel, "provider", provider, "outcome", outcome)
                        .register(meters),
                    Timer.builder("herald.delivery.duration")
                        .tags("channel", channel, "provider", provider, "outcome", outcome)
                        .publishPercentileHistogram()
                        .register(meters)));
    m.count().increment();
    if (took != null) {
      m.duration().record(took);
    }
  }

  void retried(String reason) {
    meters
        .counter("herald.delivery.retries", "channel", channel, "reason", tag(reason))
        .increment();
  }

  void deadLettered(String reason) {
    meters
        .counter("herald.delivery.dead.letters", "channel", channel, "reason", tag(reason))
        .increment();
  }

  void configurationError(String provider, String code) {
    meters
        .counter(
            "herald.provider.configuration.errors",
            "channel",
            channel,
            "provider",
            provider,
            "code",
            tag(code))
        .increment();
  }

  void rateLimiterWait(String provider, Duration waited) {
    Timer.builder("herald.rate.limiter.wait")
        .tag("provider", provider)
        .register(meters)
        .record(waited);
  }

  private static String tag(String code) {
    return code == null ? "unknown" : code;
  }
}
