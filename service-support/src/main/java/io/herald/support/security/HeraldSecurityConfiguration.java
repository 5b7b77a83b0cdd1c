package io.herald.support.security;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.result.method.annotation.ArgumentResolverConfigurer;

/**
 * Bearer-token authentication for services with a public API ({@code herald.security.enabled:
 * true}). The HS256 secret comes from {@code HERALD_JWT_SECRET}; a service refuses to start without
 * one rather than run open.
 */
@AutoConfiguration
@ConditionalOnProperty(name = "herald.security.enabled", havingValue = "true")
public class HeraldSecurityConfiguration {

  @Bean
  TokenVerifier tokenVerifier(
      @Value("${herald.security.jwt-secret:${HERALD_JWT_SECRET:}}") String secret) {
    if (secret.isBlank()) {
      throw new IllegalStateException(
          "HERALD_JWT_SECRET (herald.security.jwt-secret) is not set: the API cannot check tokens");
    }
    return new TokenVerifier(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
  }

  @Bean
  StreamTickets streamTickets(
      @Value("${herald.security.jwt-secret:${HERALD_JWT_SECRET:}}") String secret,
      @Value("${herald.security.stream-ticket-lifetime:60s}") Duration lifetime) {
    return new StreamTickets(secret.getBytes(StandardCharsets.UTF_8), lifetime, Clock.systemUTC());
  }

  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE + 10)
  BearerTokenWebFilter bearerTokenWebFilter(TokenVerifier tokenVerifier, StreamTickets tickets) {
    return new BearerTokenWebFilter(tokenVerifier, tickets);
  }

  @Bean
  WebFluxConfigurer heraldPrincipalResolver() {
    return new WebFluxConfigurer() {
      @Override
      public void configureArgumentResolvers(ArgumentResolverConfigurer configurer) {
        configurer.addCustomResolver(new HeraldPrincipalArgumentResolver());
      }
    };
  }
}
