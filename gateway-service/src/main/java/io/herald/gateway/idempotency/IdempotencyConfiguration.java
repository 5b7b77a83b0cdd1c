package io.herald.gateway.idempotency;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/** The {@code Idempotency-Key} filter, after authentication (it scopes keys by the caller). */
@Configuration(proxyBeanMethods = false)
class IdempotencyConfiguration {

  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE + 30)
  IdempotencyFilter idempotencyFilter(
      IdempotencyStore store, IdempotencyProperties properties, MeterRegistry meters) {
    return new IdempotencyFilter(store, properties, meters);
  }
}
