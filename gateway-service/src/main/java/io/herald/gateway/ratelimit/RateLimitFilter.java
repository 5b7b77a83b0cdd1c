package io.herald.gateway.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.herald.gateway.ratelimit.RateLimitProperties.Limit;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Limits each tenant's requests per endpoint class ({@link EndpointClass}) and says where the
 * caller stands on every answer, in the headers of the IETF draft "RateLimit header fields for
 * HTTP": {@code RateLimit-Limit}, {@code RateLimit-Remaining}, {@code RateLimit-Reset} (seconds
 * until the bucket is full again) and {@code RateLimit-Policy}. Over the limit: 429 {@code
 * rate-limited} with {@code Retry-After}. If the shared buckets cannot be reached the request is
 * let through and counted in {@code herald.gateway.rate.limit.errors}: an outage of the limiter
 * does not take the API down.
 */
public class RateLimitFilter implements WebFilter, DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(RateLimitFilter.class);

  private final RateLimiter limiter;
  private final RateLimitProperties properties;
  private final Scheduler blocking;
  private final Map<EndpointClass, Counter> refused = new EnumMap<>(EndpointClass.class);
  private final Counter errors;

  RateLimitFilter(
      RateLimiter limiter,
      RateLimitProperties properties,
      Scheduler blocking,
      MeterRegistry meters) {
    this.limiter = limiter;
    this.properties = properties;
    this.blocking = blocking;
    for (EndpointClass endpoints : EndpointClass.values()) {
      refused.put(
          endpoints,
          Counter.builder("herald.gateway.rate.limit.refused")
              .description("Requests refused with 429 because their tenant was over its limit")
              .tag("endpoints", endpoints.key())
              .register(meters));
    }
    this.errors =
        Counter.builder("herald.gateway.rate.limit.errors")
            .description("Requests let through because the shared buckets could not be reached")
            .register(meters);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    HeraldPrincipal caller = exchange.getAttribute(HeraldPrincipal.ATTRIBUTE);
    if (!properties.enabled()
        || caller == null
        || !exchange.getRequest().getPath().pathWithinApplication().value().startsWith("/api/")) {
      return chain.filter(exchange);
    }
    EndpointClass endpoints = EndpointClass.of(exchange.getRequest());
    Limit limit = properties.limitOf(caller.tenantId(), endpoints);
    ConsumptionProbe allowed = limiter.tryLocally(caller.tenantId(), endpoints);
    if (allowed != null) {
      // Admitted from this instance's allowance: no database call, no change of thread.
      headers(exchange.getResponse().getHeaders(), limit, allowed);
      return chain.filter(exchange);
    }
    return Mono.fromCallable(() -> limiter.tryConsume(caller.tenantId(), endpoints))
        .subscribeOn(blocking)
        .onErrorResume(
            e -> {
              errors.increment();
              log.warn("Rate limit not checked, request let through: {}", e.toString());
              return Mono.empty();
            })
        .flatMap(
            probe -> {
              headers(exchange.getResponse().getHeaders(), limit, probe);
              if (probe.isConsumed()) {
                return chain.filter(exchange).thenReturn(Boolean.TRUE);
              }
              refused.get(endpoints).increment();
              return refuse(exchange, endpoints, probe).thenReturn(Boolean.TRUE);
            })
        .switchIfEmpty(Mono.defer(() -> chain.filter(exchange).thenReturn(Boolean.TRUE)))
        .then();
  }

  @Override
  public void destroy() {
    blocking.dispose();
  }

  private static void headers(HttpHeaders headers, Limit limit, ConsumptionProbe probe) {
    headers.set("RateLimit-Limit", Long.toString(limit.limit()));
    headers.set("RateLimit-Remaining", Long.toString(Math.max(0, probe.getRemainingTokens())));
    headers.set("RateLimit-Reset", Long.toString(seconds(probe.getNanosToWaitForReset())));
    headers.set(
        "RateLimit-Policy", limit.limit() + ";w=" + Math.max(1, limit.period().toSeconds()));
  }

  private static Mono<Void> refuse(
      ServerWebExchange exchange, EndpointClass endpoints, ConsumptionProbe probe) {
    long retryAfter = Math.max(1, seconds(probe.getNanosToWaitForRefill()));
    exchange.getResponse().getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
    ProblemDetail problem =
        Problems.of(
            HttpStatus.TOO_MANY_REQUESTS,
            "rate-limited",
            "Your tenant is over its limit of "
                + endpoints.key()
                + "; retry after "
                + retryAfter
                + " s.",
            exchange.getRequest().getPath().value());
    problem.setProperty("endpoints", endpoints.key());
    return Problems.write(exchange.getResponse(), problem);
  }

  private static long seconds(long nanos) {
    return (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
  }
}
