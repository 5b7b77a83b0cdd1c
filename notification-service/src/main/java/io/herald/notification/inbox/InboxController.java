package io.herald.notification.inbox;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The caller's inbox, scoped to their tenant and user id from the token:
 *
 * <ul>
 *   <li>{@code GET /api/notifications?status=all|unread|read&archived=&category=&seen=&limit=
 *       &cursor=}: a page, newest first; {@code nextCursor} continues it (keyset: stable while
 *       items arrive).
 *   <li>{@code GET /api/notifications/counts}: {@code unread}, {@code unseen} (the badge) and
 *       {@code total}, of the items not archived.
 *   <li>{@code GET /api/notifications/{id}}; {@code POST /api/notifications/{id}/read}, {@code
 *       /unread}, {@code /archive}, {@code /unarchive}: the item in its new state.
 *   <li>{@code POST /api/notifications/read {"ids": [...]}} (up to 1,000): the items; {@code POST
 *       /api/notifications/read-all {"category"?}} and {@code POST /api/notifications/seen}: how
 *       many changed, and the counts.
 *   <li>{@code GET /api/notifications/stream}: server-sent events: {@code inbox-item} (a new item),
 *       {@code inbox-read}, {@code inbox-unread}, {@code inbox-seen}, {@code inbox-archived},
 *       {@code inbox-unarchived} ({@code {"itemIds", "at", "seenUpTo"}}, from whichever instance
 *       the change was made on), a {@code retry:} hint of 3 s, and a comment heartbeat every 15 s
 *       so idle connections survive proxies.
 * </ul>
 *
 * Every mark is idempotent (marking a read item read changes nothing and publishes nothing) and is
 * published on {@code notification.inbox.v1} when it changed something. An id that is not one of
 * the caller's items is 404, whether it exists for someone else or not at all.
 */
@RestController
class InboxController {

  static final Duration HEARTBEAT = Duration.ofSeconds(15);
  static final int MAX_IDS = 1_000;

  private final InboxRepository inbox;
  private final InboxBroadcaster broadcaster;
  private final InboxChanges changes;
  private final Clock clock = Clock.systemUTC();

  InboxController(InboxRepository inbox, InboxBroadcaster broadcaster, InboxChanges changes) {
    this.inbox = inbox;
    this.broadcaster = broadcaster;
    this.changes = changes;
  }

  @GetMapping(path = "/api/notifications", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxPage> list(
      HeraldPrincipal caller,
      @RequestParam(name = "limit", defaultValue = "20") int limit,
      @RequestParam(name = "cursor", required = false) String cursor,
      @RequestParam(name = "status", required = false) String status,
      @RequestParam(name = "archived", required = false) Boolean archived,
      @RequestParam(name = "category", required = false) String category,
      @RequestParam(name = "seen", required = false) Boolean seen) {
    int bounded = Math.max(1, Math.min(limit, 100));
    InboxFilter filter = InboxFilter.of(status, archived, category, seen);
    return inbox
        .page(caller.tenantId(), caller.userId(), filter, InboxCursor.decode(cursor), bounded + 1)
        .collectList()
        .map(
            found -> {
              if (found.size() <= bounded) {
                return new InboxPage(found, null);
              }
              InboxItem last = found.get(bounded - 1);
              return new InboxPage(
                  found.subList(0, bounded),
                  new InboxCursor(last.createdAt(), UUID.fromString(last.id())).encode());
            });
  }

  @GetMapping(path = "/api/notifications/counts", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxRepository.Counts> counts(HeraldPrincipal caller) {
    return inbox.counts(caller.tenantId(), caller.userId());
  }

  @GetMapping(path = "/api/notifications/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxItem> one(HeraldPrincipal caller, @PathVariable String id) {
    return mine(caller, List.of(id)).map(items -> items.get(0));
  }

  @PostMapping(path = "/api/notifications/{id}/read", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxItem> read(HeraldPrincipal caller, @PathVariable String id) {
    return markOne(caller, id, InboxRepository.Mark.READ);
  }

  @PostMapping(path = "/api/notifications/{id}/unread", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxItem> unread(HeraldPrincipal caller, @PathVariable String id) {
    return markOne(caller, id, InboxRepository.Mark.UNREAD);
  }

  @PostMapping(
      path = "/api/notifications/{id}/archive",
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxItem> archive(HeraldPrincipal caller, @PathVariable String id) {
    return markOne(caller, id, InboxRepository.Mark.ARCHIVE);
  }

  @PostMapping(
      path = "/api/notifications/{id}/unarchive",
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxItem> unarchive(HeraldPrincipal caller, @PathVariable String id) {
    return markOne(caller, id, InboxRepository.Mark.UNARCHIVE);
  }

  /** {@code {"ids": ["…", "…"]}}. */
  record Ids(List<String> ids) {}

  @PostMapping(
      path = "/api/notifications/read",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<InboxPage> readMany(HeraldPrincipal caller, @RequestBody Ids request) {
    List<String> ids = request == null || request.ids() == null ? List.of() : request.ids();
    if (ids.isEmpty() || ids.size() > MAX_IDS) {
      throw ApiException.invalid(
          List.of(Map.of("field", "ids", "message", "1 to " + MAX_IDS + " item ids")));
    }
    return mark(caller, ids, InboxRepository.Mark.READ).map(items -> new InboxPage(items, null));
  }

  /** {@code {"category": "…"}}, optional. */
  record ReadAll(String category) {}

  /** What a mark of all items did: how many changed, and the counts now. */
  record Marked(int changed, InboxRepository.Counts counts) {}

  @PostMapping(path = "/api/notifications/read-all", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Marked> readAll(HeraldPrincipal caller, @RequestBody(required = false) ReadAll request) {
    String category =
        request == null || request.category() == null || request.category().isBlank()
            ? null
            : request.category();
    Instant now = clock.instant();
    return inbox
        .readAll(caller.tenantId(), caller.userId(), category, now)
        .collectList()
        .flatMap(
            ids ->
                changes
                    .changed(
                        caller.tenantId(), caller.userId(), InboxRepository.Mark.READ, ids, now)
                    .then(inbox.counts(caller.tenantId(), caller.userId()))
                    .map(counts -> new Marked(ids.size(), counts)));
  }

  @PostMapping(path = "/api/notifications/seen", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Marked> seen(HeraldPrincipal caller) {
    Instant now = clock.instant();
    return inbox
        .seenAll(caller.tenantId(), caller.userId(), now)
        .collectList()
        .flatMap(
            ids ->
                changes
                    .seen(caller.tenantId(), caller.userId(), ids, now)
                    .then(inbox.counts(caller.tenantId(), caller.userId()))
                    .map(counts -> new Marked(ids.size(), counts)));
  }

  /** How long a client waits before reconnecting, sent as the stream's {@code retry:} hint. */
  static final Duration RECONNECT = Duration.ofSeconds(3);

  @GetMapping(path = "/api/notifications/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<ServerSentEvent<Object>> stream(HeraldPrincipal caller) {
    Flux<ServerSentEvent<Object>> events =
        broadcaster
            .eventsFor(caller.tenantId(), caller.userId())
            .map(e -> ServerSentEvent.builder(e.data()).id(e.id()).event(e.event()).build());
    Flux<ServerSentEvent<Object>> heartbeat =
        Flux.interval(HEARTBEAT)
            .map(tick -> ServerSentEvent.builder().comment("keep-alive").build());
    Flux<ServerSentEvent<Object>> hello =
        Flux.just(ServerSentEvent.builder().comment("connected").retry(RECONNECT).build());
    // Subscribe to live events before greeting, so nothing published after the greeting is missed.
    return Flux.merge(events, Flux.concat(hello, heartbeat));
  }

  private Mono<InboxItem> markOne(HeraldPrincipal caller, String id, InboxRepository.Mark mark) {
    return mark(caller, List.of(id), mark).map(items -> items.get(0));
  }

  /**
   * Applies {@code mark} to the caller's items {@code ids} (404 unless every one is theirs) and
   * answers them in their new state, in the order asked.
   */
  private Mono<List<InboxItem>> mark(
      HeraldPrincipal caller, List<String> ids, InboxRepository.Mark mark) {
    Instant now = clock.instant();
    return mine(caller, ids)
        .flatMap(
            current ->
                inbox
                    .mark(caller.tenantId(), caller.userId(), uuids(ids), mark, now)
                    .collectList()
                    .flatMap(
                        changed -> {
                          Map<String, InboxItem> byId =
                              current.stream()
                                  .collect(Collectors.toMap(InboxItem::id, Function.identity()));
                          changed.forEach(item -> byId.put(item.id(), item));
                          List<InboxItem> answer = new ArrayList<>();
                          for (String id : new LinkedHashSet<>(ids)) {
                            answer.add(byId.get(UUID.fromString(id).toString()));
                          }
                          return changes
                              .changed(
                                  caller.tenantId(),
                                  caller.userId(),
                                  mark,
                                  changed.stream().map(InboxItem::id).toList(),
                                  now)
                              .thenReturn(answer);
                        }));
  }

  /** The caller's items {@code ids}, or 404 when one of them is not theirs or does not exist. */
  private Mono<List<InboxItem>> mine(HeraldPrincipal caller, List<String> ids) {
    Set<UUID> wanted = uuids(ids);
    return inbox
        .find(caller.tenantId(), caller.userId(), wanted)
        .collectList()
        .map(
            found -> {
              if (found.size() < wanted.size()) {
                Set<String> present = found.stream().map(InboxItem::id).collect(Collectors.toSet());
                String missing =
                    wanted.stream()
                        .map(UUID::toString)
                        .filter(id -> !present.contains(id))
                        .findFirst()
                        .orElse("");
                throw ApiException.notFound("no notification " + missing + " in your inbox");
              }
              return found;
            });
  }

  private static Set<UUID> uuids(List<String> ids) {
    Set<UUID> parsed = new LinkedHashSet<>();
    for (String id : ids) {
      try {
        parsed.add(UUID.fromString(id));
      } catch (IllegalArgumentException e) {
        throw ApiException.notFound("no notification " + id + " in your inbox");
      }
    }
    return parsed;
  }

  /** One page of the inbox, newest first; {@code nextCursor} is null on the last page. */
  record InboxPage(List<InboxItem> items, String nextCursor) {}
}
