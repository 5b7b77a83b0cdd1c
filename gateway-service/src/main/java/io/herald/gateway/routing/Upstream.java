package io.herald.gateway.routing;

import io.herald.support.web.Problems;
import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;

/**
 * One service behind the gateway: a request is forwarded with the caller's token (the owner checks
 * tenant, user and role itself), bodies stream through unbuffered, each response chunk flushed at
 * once. An unreachable service is answered with a 503 problem.
 *
 * <p>Example: {@code new Upstream("publishing-service", webClients, url).forward(request,
 * response)}.
 */
public final class Upstream {

  private static final Logger log = LoggerFactory.getLogger(Upstream.class);
  private static final List<String> FORWARDED_REQUEST_HEADERS =
      List.of(
          HttpHeaders.AUTHORIZATION, HttpHeaders.ACCEPT, HttpHeaders.CONTENT_TYPE, "Last-Event-ID");
  private static final List<String> FORWARDED_RESPONSE_HEADERS =
      List.of(
          HttpHeaders.CONTENT_TYPE,
          HttpHeaders.CACHE_CONTROL,
          HttpHeaders.WWW_AUTHENTICATE,
          HttpHeaders.LOCATION,
          HttpHeaders.RETRY_AFTER,
          HttpHeaders.ETAG);

  private final String name;
  private final WebClient client;

  public Upstream(String name, WebClient.Builder webClients, URI baseUrl) {
    this.name = name;
    this.client = webClients.baseUrl(baseUrl.toString()).build();
  }

  /** The client for the gateway's own calls to this service. */
  public WebClient client() {
    return client;
  }

  public String name() {
    return name;
  }

  public Mono<Void> forward(ServerHttpRequest request, ServerHttpResponse response) {
    WebClient.RequestBodySpec upstreamRequest =
        client
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
              log.warn("{} unreachable: {}", name, e.getMessage());
              return Problems.write(
                  response,
                  HttpStatus.SERVICE_UNAVAILABLE,
                  "upstream-unavailable",
                  name + " is not reachable; try again shortly.",
                  request.getPath().value());
            });
  }
}
