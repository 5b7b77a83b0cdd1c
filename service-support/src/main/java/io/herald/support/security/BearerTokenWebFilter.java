package io.herald.support.security;

import io.herald.support.web.Problems;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Requires a valid bearer token on every {@code /api/} request and stores the caller as the {@link
 * HeraldPrincipal#ATTRIBUTE} attribute. Actuator endpoints stay open for probes.
 *
 * <p>A {@code GET} of a stream path ({@link #STREAM_PATHS}) without an {@code Authorization} header
 * may carry a {@link StreamTickets stream ticket} as {@code ?ticket=} instead.
 */
public class BearerTokenWebFilter implements WebFilter {

  private static final String PREFIX = "Bearer ";

  /** The paths a stream ticket opens. */
  public static final java.util.Set<String> STREAM_PATHS =
      java.util.Set.of("/api/notifications/stream");

  private final TokenVerifier verifier;
  private final StreamTickets tickets;

  public BearerTokenWebFilter(TokenVerifier verifier, StreamTickets tickets) {
    this.verifier = verifier;
    this.tickets = tickets;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().pathWithinApplication().value();
    if (!path.startsWith("/api/")) {
      return chain.filter(exchange);
    }
    String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    String ticket = exchange.getRequest().getQueryParams().getFirst("ticket");
    if (header == null
        && ticket != null
        && tickets != null
        && HttpMethod.GET.equals(exchange.getRequest().getMethod())
        && STREAM_PATHS.contains(path)) {
      try {
        exchange.getAttributes().put(HeraldPrincipal.ATTRIBUTE, tickets.verify(ticket));
      } catch (InvalidTokenException e) {
        return unauthorized(exchange, e.getMessage());
      }
      return chain.filter(exchange);
    }
    if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return unauthorized(exchange, "A bearer token is required (Authorization: Bearer <jwt>)");
    }
    // A refused token is a value here, so errors of the chain downstream pass untouched.
    return verifier
        .verify(header.substring(PREFIX.length()).trim())
        .cast(Object.class)
        .onErrorResume(InvalidTokenException.class, Mono::just)
        .flatMap(
            verified -> {
              if (verified instanceof HeraldPrincipal principal) {
                exchange.getAttributes().put(HeraldPrincipal.ATTRIBUTE, principal);
                return chain.filter(exchange);
              }
              return unauthorized(exchange, ((InvalidTokenException) verified).getMessage());
            });
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
