package io.herald.notification.inbox;

import java.util.List;
import java.util.Map;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

/**
 * Live inbox streams as a client holds them, for integration tests: every received event lands in a
 * list the test inspects.
 *
 * <p>Example: {@code TestStreams.open(port, token, null, received)}, then {@code
 * TestStreams.changes(received)}.
 */
final class TestStreams {

  private static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> EVENT =
      new ParameterizedTypeReference<>() {};

  private TestStreams() {}

  /** A stream opened with a bearer token, resuming after {@code lastEventId} when not null. */
  static Disposable open(
      int port, String token, String lastEventId, List<ServerSentEvent<Map<String, Object>>> sink) {
    WebClient.RequestHeadersSpec<?> request =
        WebClient.create("http://127.0.0.1:" + port)
            .get()
            .uri("/api/notifications/stream")
            .header("Authorization", "Bearer " + token);
    if (lastEventId != null) {
      request = request.header("Last-Event-ID", lastEventId);
    }
    return subscribe(request, sink);
  }

  /** A stream opened as a browser's {@code EventSource} does: the URL alone, no header. */
  static Disposable openUrl(int port, String url, List<ServerSentEvent<Map<String, Object>>> sink) {
    return subscribe(WebClient.create("http://127.0.0.1:" + port + url).get(), sink);
  }

  private static Disposable subscribe(
      WebClient.RequestHeadersSpec<?> request, List<ServerSentEvent<Map<String, Object>>> sink) {
    return request
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve()
        .bodyToFlux(EVENT)
        .subscribe(sink::add, error -> {});
  }

  /** The named events other than counts: items and changes, in the order received. */
  static List<ServerSentEvent<Map<String, Object>>> changes(
      List<ServerSentEvent<Map<String, Object>>> received) {
    return received.stream()
        .filter(e -> e.event() != null && !"inbox-counts".equals(e.event()))
        .toList();
  }

  /** The {@code inbox-counts} events, in the order received. */
  static List<Map<String, Object>> counts(List<ServerSentEvent<Map<String, Object>>> received) {
    return received.stream()
        .filter(e -> "inbox-counts".equals(e.event()))
        .map(ServerSentEvent::data)
        .toList();
  }
}
