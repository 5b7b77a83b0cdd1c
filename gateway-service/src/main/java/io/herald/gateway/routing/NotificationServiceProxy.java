package io.herald.gateway.routing;

import io.herald.gateway.GatewayProperties;
import io.herald.support.web.Problems;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;

/**
 * Routes to notification-service what it owns: inbox reads (the list and the live SSE stream), the
 * subscriber API, preferences and templates. The caller's token travels along so that the owner
 * checks tenant, user and role itself; request and response bodies stream through unbuffered, each
 * response chunk flushed at once.
 */
@RestController
class NotificationServiceProxy {

  private static final Logger log = LoggerFactory.getLogger(NotificationServiceProxy.class);
  private static final List<String> FORWARDED_REQUEST_HEADERS =
      List.of(
          HttpHeaders.AUTHORIZATION, HttpHeaders.ACCEPT, HttpHeaders.CONTENT_TYPE, "Last-Event-ID");
  private static final List<String> FORWARDED_RESPONSE_HEADERS =
      List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.CACHE_CONTROL, HttpHeaders.WWW_AUTHENTICATE);

  private final WebClient notificationService;

  NotificationServiceProxy(WebClient.Builder webClients, GatewayProperties properties) {
    this.notificationService =
        webClients.baseUrl(properties.notificationServiceUrl().toString()).build();
  }

  @GetMapping({"/api/notifications", "/api/notifications/stream"})
  Mono<Void> inbox(ServerHttpRequest request, ServerHttpResponse response) {
    return forward(request, response);
  }

  @RequestMapping({
    "/api/subscribers",
    "/api/subscribers/**",
    "/api/preferences/**",
    "/api/templates",
    "/api/templates/**"
  })
  Mono<Void> audience(ServerHttpRequest request, ServerHttpResponse response) {
    return forward(request, response);
  }

  private Mono<Void> forward(ServerHttpRequest request, ServerHttpResponse response) {
    WebClient.RequestBodySpec upstreamRequest =
        notificationService
            .method(request.getMethod())
            .uri(
                uri ->
                    uri.path(request.getPath().pathWithinApplication().value())
                        .query(request.getURI().getRawQuery())
                        .build())
            .headers(
                headers ->
                    FORWARDED_REQUEST_HEADERS.forEach(
                        name -> {
                          List<String> values = request.getHeaders().get(name);
                          if (values != null) {
                            headers.put(name, values);
                          }
                        }));
    WebClient.RequestHeadersSpec<?> withBody =
        HttpMethod.GET.equals(request.getMethod())
            ? upstreamRequest
            : upstreamRequest.body(BodyInserters.fromDataBuffers(request.getBody()));
    return withBody
        .exchangeToMono(
            upstream -> {
              response.setStatusCode(upstream.statusCode());
              FORWARDED_RESPONSE_HEADERS.forEach(
                  name -> {
                    List<String> values = upstream.headers().header(name);
                    if (!values.isEmpty()) {
                      response.getHeaders().put(name, values);
                    }
                  });
              return response.writeAndFlushWith(
                  upstream.bodyToFlux(DataBuffer.class).map(Mono::just));
            })
        .onErrorResume(
            WebClientRequestException.class,
            e -> {
              log.warn("notification-service unreachable: {}", e.getMessage());
              return Problems.write(
                  response,
                  HttpStatus.SERVICE_UNAVAILABLE,
                  "upstream-unavailable",
                  "The notification service is not reachable; try again shortly.",
                  request.getPath().value());
            });
  }
}
