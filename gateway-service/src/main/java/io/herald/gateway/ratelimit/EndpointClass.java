package io.herald.gateway.ratelimit;

import io.herald.support.security.BearerTokenWebFilter;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;

/** The classes of endpoints that have a limit each. */
public enum EndpointClass {
  /** {@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE} under {@code /api/}. */
  COMMANDS,
  /** Any other request under {@code /api/}. */
  READS,
  /** Opening a live stream ({@code GET /api/notifications/stream}). */
  STREAMS;

  static EndpointClass of(ServerHttpRequest request) {
    HttpMethod method = request.getMethod();
    if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
      String path = request.getPath().pathWithinApplication().value();
      return BearerTokenWebFilter.STREAM_PATHS.contains(path) ? STREAMS : READS;
    }
    return HttpMethod.OPTIONS.equals(method) ? READS : COMMANDS;
  }

  /** The name in settings and metrics: {@code commands}, {@code reads}, {@code streams}. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
