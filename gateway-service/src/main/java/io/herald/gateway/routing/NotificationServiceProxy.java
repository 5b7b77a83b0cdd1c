package io.herald.gateway.routing;

import io.herald.gateway.GatewayProperties;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * Routes to notification-service what it owns: the inbox (list, counts, live SSE stream, marks),
 * the subscriber API, preferences and templates ({@link Upstream}).
 */
@RestController
class NotificationServiceProxy {

  private final Upstream notificationService;

  NotificationServiceProxy(WebClient.Builder webClients, GatewayProperties properties) {
    this.notificationService =
        new Upstream("notification-service", webClients, properties.notificationServiceUrl());
  }

  /**
   * The inbox: its list, counts, items and live stream, and the user's marks (read, unread, seen,
   * archive), which notification-service applies and answers at once. {@code POST
   * /api/notifications} (sending one) is the gateway's own command.
   */
  @GetMapping({"/api/notifications", "/api/notifications/**"})
  Mono<Void> inbox(ServerHttpRequest request, ServerHttpResponse response) {
    return notificationService.forward(request, response);
  }

  @PostMapping("/api/notifications/{first}/**")
  Mono<Void> marks(ServerHttpRequest request, ServerHttpResponse response) {
    return notificationService.forward(request, response);
  }

  @RequestMapping({
    "/api/subscribers",
    "/api/subscribers/**",
    "/api/preferences/**",
    "/api/templates",
    "/api/templates/**"
  })
  Mono<Void> audience(ServerHttpRequest request, ServerHttpResponse response) {
    return notificationService.forward(request, response);
  }
}
