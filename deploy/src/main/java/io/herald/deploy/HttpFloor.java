package io.herald.deploy;

import java.util.Map;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The floor under the gateway's figure: {@code POST /api/notifications} on Spring WebFlux and
 * Reactor Netty, the stack the gateway runs on, doing nothing but read the JSON body and answer 202
 * with a request id. No Spring Boot, no token check, validation, idempotency, rate limit, Kafka or
 * metrics. Whatever it reaches on a machine, the gateway cannot pass there.
 *
 * <p>Run by {@code ./herald bench http floor}, in a JVM with the gateway's flags.
 */
final class HttpFloor {

  private HttpFloor() {}

  public static void main(String[] args) throws InterruptedException {
    int port = Integer.parseInt(args[0]);
    RouterFunction<ServerResponse> routes =
        RouterFunctions.route()
            .POST(
                "/api/notifications",
                request ->
                    request
                        .bodyToMono(Map.class)
                        .flatMap(
                            body ->
                                ServerResponse.accepted()
                                    .contentType(MediaType.APPLICATION_JSON)
                                    .bodyValue(Map.of("requestId", UUID.randomUUID().toString()))))
            .build();
    DisposableServer server =
        HttpServer.create()
            .host("127.0.0.1")
            .port(port)
            .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes)))
            .bindNow();
    System.out.println("listening on " + server.port());
    server.onDispose().block();
  }
}
