package io.herald.support.security;

import java.net.URI;
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
 * true}).
 *
 * <ul>
 *   <li>Production: {@code herald.security.jwks-uri}, {@code herald.security.issuer} and {@code
 *       herald.security.audience} (tokens of an identity provider, checked against its published
 *       keys).
 *   <li>Local platform: {@code HERALD_JWT_SECRET} ({@code herald.security.jwt-secret}), HS256.
 * </ul>
 *
 * A service with neither refuses to start rather than run open. Stream tickets are signed with
 * {@code herald.security.stream-ticket-secret} (the JWT secret when not set), which every instance
 * of a service shares.
 */
@AutoConfiguration
@ConditionalOnProperty(name = "herald.security.enabled", havingValue = "true")
public class HeraldSecurityConfiguration {

  @Bean
  TokenVerifier tokenVerifier(
      @Value("${herald.security.jwks-uri:}") String jwksUri,
      @Value("${herald.security.issuer:}") String issuer,
      @Value("${herald.security.audience:}") String audience,
      @Value("${herald.security.jwt-secret:${HERALD_JWT_SECRET:}}") String secret) {
    if (!jwksUri.isBlank()) {
      if (issuer.isBlank() || audience.isBlank()) {
        throw new IllegalStateException(
            "herald.security.jwks-uri needs herald.security.issuer and herald.security.audience");
      }
      return TokenVerifier.jwks(URI.create(jwksUri), issuer, audience, Clock.systemUTC());
    }
    if (secret.isBlank()) {
      throw new IllegalStateException(
          "Neither herald.security.jwks-uri nor HERALD_JWT_SECRET (herald.security.jwt-secret) is"
              + " set: the API cannot check tokens");
    }
    return new TokenVerifier(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
  }

  @Bean
  StreamTickets streamTickets(
      @Value(
              "${herald.security.stream-ticket-secret:${herald.security.jwt-secret:${HERALD_JWT_SECRET:}}}")
          String secret,
      @Value("${herald.security.stream-ticket-lifetime:60s}") Duration lifetime) {
    if (secret.isBlank()) {
      throw new IllegalStateException(
          "herald.security.stream-ticket-secret is not set: stream tickets cannot be signed");
    }
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
