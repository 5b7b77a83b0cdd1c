package io.herald.notification.inbox;

import io.herald.support.security.HeraldPrincipal;
import java.time.Duration;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The caller's inbox: {@code GET /api/notifications} lists it, {@code GET
 * /api/notifications/stream} streams new items as server-sent events named {@code inbox-item}, with
 * a comment heartbeat so idle connections survive proxies.
 */
@RestController
class InboxController {

  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  private final InboxRepository inbox;
  private final InboxBroadcaster broadcaster;

  InboxController(InboxRepository inbox, InboxBroadcaster broadcaster) {
    this.inbox = inbox;
    this.broadcaster = broadcaster;
  }

  @GetMapping(path = "/api/notifications", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxPage> list(
      HeraldPrincipal caller, @RequestParam(name = "limit", defaultValue = "20") int limit) {
    int bounded = Math.max(1, Math.min(limit, 100));
    return inbox
        .list(caller.tenantId(), caller.userId(), bounded)
        .collectList()
        .map(InboxPage::new);
  }

  @GetMapping(path = "/api/notifications/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<ServerSentEvent<InboxItem>> stream(HeraldPrincipal caller) {
    Flux<ServerSentEvent<InboxItem>> items =
        broadcaster
            .itemsFor(caller.tenantId(), caller.userId())
            .map(item -> ServerSentEvent.builder(item).id(item.id()).event("inbox-item").build());
    Flux<ServerSentEvent<InboxItem>> heartbeat =
        Flux.interval(HEARTBEAT)
            .map(tick -> ServerSentEvent.<InboxItem>builder().comment("keep-alive").build());
    Flux<ServerSentEvent<InboxItem>> hello =
        Flux.just(ServerSentEvent.<InboxItem>builder().comment("connected").build());
    // Subscribe to live items before greeting, so nothing published after the greeting is missed.
    return Flux.merge(items, Flux.concat(hello, heartbeat));
  }

  /** One page of the inbox, newest first. */
  record InboxPage(List<InboxItem> items) {}
}
