package io.herald.support.security;

import io.herald.support.web.Problems;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Requires a valid bearer token on every {@code /api/} request and stores the caller as the {@link
 * HeraldPrincipal#ATTRIBUTE} attribute. Actuator endpoints stay open for probes.
 */
public class BearerTokenWebFilter implements WebFilter {

  private static final String PREFIX = "Bearer ";

  private final TokenVerifier verifier;

  public BearerTokenWebFilter(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().pathWithinApplication().value();
    if (!path.startsWith("/api/")) {
      return chain.filter(exchange);
    }
    String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return unauthorized(exchange, "A bearer token is required (Authorization: Bearer <jwt>)");
    }
    HeraldPrincipal principal;
    try {
      principal = verifier.verify(header.substring(PREFIX.length()).trim());
    } catch (InvalidTokenException e) {
      return unauthorized(exchange, e.getMessage());
    }
    exchange.getAttributes().put(HeraldPrincipal.ATTRIBUTE, principal);
    return chain.filter(exchange);
  }

  private static Mono<Void> unauthorized(ServerWebExchange exchange, String detail) {
    exchange
        .getResponse()
        .getHeaders()
        .set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"herald\", error=\"invalid_token\"");
    return Problems.write(
        exchange.getResponse(),
        HttpStatus.UNAUTHORIZED,
        "unauthorized",
        detail,
        exchange.getRequest().getPath().value());
  }
}
