package io.herald.gateway.routing;

import io.herald.gateway.GatewayProperties;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * Routes to notification-service what it owns: inbox reads (the list and the live SSE stream), the
 * subscriber API, preferences and templates ({@link Upstream}).
 */
@RestController
class NotificationServiceProxy {

  private final Upstream notificationService;

  NotificationServiceProxy(WebClient.Builder webClients, GatewayProperties properties) {
    this.notificationService =
        new Upstream("notification-service", webClients, properties.notificationServiceUrl());
  }

  @GetMapping({"/api/notifications", "/api/notifications/stream"})
  Mono<Void> inbox(ServerHttpRequest request, ServerHttpResponse response) {
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
