package io.herald.deploy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of {@code GET /api/notifications/stream}: reads the server-sent events line by line and
 * hands each {@code inbox-item} to a listener with the {@link System#nanoTime()} it arrived.
 *
 * <p>Example: {@code InboxStream.open(http, "http://127.0.0.1:8080", token, (item, at) ->
 * items.add(item))}.
 */
final class InboxStream implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Receives each inbox item of the stream. */
  @FunctionalInterface
  interface Listener {
    void onItem(JsonNode item, long arrivedNanos);
  }

  private final Listener listener;
  private final CountDownLatch connected = new CountDownLatch(1);
  private String event;
  private CompletableFuture<Void> reading;

  private InboxStream(Listener listener) {
    this.listener = listener;
  }

  static InboxStream open(HttpClient http, String gateway, String token, Listener listener) {
    InboxStream stream = new InboxStream(listener);
    stream.reading =
        http.sendAsync(
                HttpRequest.newBuilder(URI.create(gateway + "/api/notifications/stream"))
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "text/event-stream")
                    .build(),
                HttpResponse.BodyHandlers.ofLines())
            .thenAccept(response -> response.body().forEach(stream::line));
    return stream;
  }

  /** True once the server greeted the stream, so items stored from then on arrive on it. */
  boolean awaitConnected(Duration timeout) throws InterruptedException {
    return connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean isConnected() {
    return connected.getCount() == 0;
  }

  /** Lines arrive on one thread, in order. */
  private void line(String line) {
    long now = System.nanoTime();
    if (line.startsWith(":connected")) {
      connected.countDown();
    } else if (line.startsWith("event:")) {
      event = line.substring("event:".length()).trim();
    } else if (line.startsWith("data:") && "inbox-item".equals(event)) {
      listener.onItem(JSON.readTree(line.substring("data:".length())), now);
    } else if (line.isEmpty()) {
      event = null;
    }
  }

  @Override
  public void close() {
    reading.cancel(true);
  }
}
