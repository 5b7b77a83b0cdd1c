package io.herald.gateway.routing;

import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Routes to publishing-service the reads it owns: posts (one, a page, several by id) and a post's
 * history ({@link Upstream}). Commands on posts are the gateway's own ({@code
 * PostCommandController}).
 */
@RestController
class PublishingServiceProxy {

  private final Upstream publishingService;

  PublishingServiceProxy(Upstream publishingService) {
    this.publishingService = publishingService;
  }

  @GetMapping({"/api/posts", "/api/posts/**", "/api/jobs", "/api/jobs/**", "/api/audit"})
  Mono<Void> posts(ServerHttpRequest request, ServerHttpResponse response) {
    return publishingService.forward(request, response);
  }

  /**
   * Platform connections, whose OAuth flows answer at once (the authorize URL, the callback's
   * connection): publishing-service owns them and their tokens. {@code /oauth/callback} needs no
   * bearer token: the user's browser comes back to it from the platform, with the state as proof.
   */
  @RequestMapping({"/api/connections", "/api/connections/**", "/oauth/callback"})
  Mono<Void> connections(ServerHttpRequest request, ServerHttpResponse response) {
    return publishingService.forward(request, response);
  }
}
