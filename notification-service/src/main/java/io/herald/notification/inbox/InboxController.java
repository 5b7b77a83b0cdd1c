package io.herald.notification.inbox;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.StreamTickets;
import io.herald.support.web.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

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
 *       the change was made on), {@code inbox-counts} (the counts, at connect and after changes; no
 *       id), a {@code retry:} hint of 3 s, and a comment heartbeat every 15 s so idle connections
 *       survive proxies. Browsers, whose {@code EventSource} cannot send a bearer token, pass
 *       {@code ?ticket=} from {@code POST /api/notifications/stream/tickets}.
 * </ul>
 *
 * Every mark is idempotent (marking a read item read changes nothing and publishes nothing) and is
 * published on {@code notification.inbox.v1} when it changed something. An id that is not one of
 * the caller's items is 404, whether it exists for someone else or not at all.
 */
@RestController
class InboxController {

  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  /**
   * Each stream beats on one of this many ticks of the heartbeat period, chosen at random when it
   * opens, so that an instance's streams beat a few at a time rather than all at once.
   */
  private static final int HEARTBEAT_SLOTS = 15;

  static final int MAX_IDS = 1_000;

  private final InboxRepository inbox;
  private final InboxBroadcaster broadcaster;
  private final InboxChanges changes;
  private final Clock clock = Clock.systemUTC();

  private final Counter behind;
  private final int buffer;
  private final StreamTickets tickets;

  /**
   * One heartbeat timer for every stream of the instance, ticking {@link #HEARTBEAT_SLOTS} times a
   * period; a stream whose client is not reading misses ticks rather than holding up the others.
   */
  private final Sinks.Many<Long> heartbeats = Sinks.many().multicast().directBestEffort();

  private final Disposable heartbeatTimer;

  InboxController(
      InboxRepository inbox,
      InboxBroadcaster broadcaster,
      InboxChanges changes,
      MeterRegistry meters,
      StreamTickets tickets,
      @Value("${herald.inbox.stream-buffer:1000}") int buffer) {
    this.inbox = inbox;
    this.tickets = tickets;
    this.broadcaster = broadcaster;
    this.changes = changes;
    this.buffer = buffer;
    this.behind = meters.counter("herald.notification.inbox.streams.behind");
    Gauge.builder("herald.notification.inbox.streams.open", broadcaster::subscriberCount)
        .description("SSE inbox streams open on this instance")
        .register(meters);
    Duration tick = HEARTBEAT.dividedBy(HEARTBEAT_SLOTS);
    this.heartbeatTimer = Flux.interval(tick, tick).subscribe(heartbeats::tryEmitNext);
  }

  @jakarta.annotation.PreDestroy
  void stopHeartbeats() {
    heartbeatTimer.dispose();
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
        .flatMap(
            applied ->
                changes
                    .changed(
                        caller.tenantId(),
                        caller.userId(),
                        InboxRepository.Mark.READ,
                        applied.ids(),
                        applied.seq(),
                        now)
                    .then(inbox.counts(caller.tenantId(), caller.userId()))
                    .map(counts -> new Marked(applied.ids().size(), counts)));
  }

  @PostMapping(path = "/api/notifications/seen", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Marked> seen(HeraldPrincipal caller) {
    Instant now = clock.instant();
    return inbox
        .seenAll(caller.tenantId(), caller.userId(), now)
        .flatMap(
            applied ->
                changes
                    .seen(caller.tenantId(), caller.userId(), applied.ids(), applied.seq(), now)
                    .then(inbox.counts(caller.tenantId(), caller.userId()))
                    .map(counts -> new Marked(applied.ids().size(), counts)));
  }

  /** How long a client waits before reconnecting, sent as the stream's {@code retry:} hint. */
  static final Duration RECONNECT = Duration.ofSeconds(3);

  private static final ServerSentEvent<Object> KEEP_ALIVE =
      ServerSentEvent.builder().comment("keep-alive").build();

  private static final ServerSentEvent<Object> HELLO =
      ServerSentEvent.builder().comment("connected").retry(RECONNECT).build();

  /** Changes replayed to a resuming client; one further behind reloads its inbox instead. */
  static final int REPLAY = 1_000;

  /**
   * The live stream. With {@code Last-Event-ID} (sent by browsers' {@code EventSource} on
   * reconnect, or {@code ?lastEventId=} where a header cannot be set), everything after that event
   * is read from the database first, in order, then the stream goes on live without repeating what
   * was replayed. Each connection has a bounded buffer: a client that falls too far behind gets
   * {@code event: resume} and is closed, and resumes from its last id.
   */
  @GetMapping(path = "/api/notifications/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<ServerSentEvent<Object>> stream(
      HeraldPrincipal caller,
      @RequestHeader(name = "Last-Event-ID", required = false) String lastEventHeader,
      @RequestParam(name = "lastEventId", required = false) String lastEventParam) {
    Long resumeAfter = sequence(lastEventHeader != null ? lastEventHeader : lastEventParam);
    Mono<InboxStreamConnection.Replay> replay =
        resumeAfter == null
            ? Mono.just(new InboxStreamConnection.Replay(List.of(), 0))
            : inbox
                .forgottenUpTo(caller.tenantId(), caller.userId())
                .flatMap(
                    forgotten ->
                        forgotten > resumeAfter
                            // What it missed is no longer kept: it reloads.
                            ? Mono.just(Optional.<List<InboxRepository.Replayed>>empty())
                            : inbox
                                .changesAfter(
                                    caller.tenantId(), caller.userId(), resumeAfter, REPLAY + 1)
                                .collectList()
                                .map(Optional::of))
                .map(
                    kept -> {
                      List<InboxRepository.Replayed> changes = kept.orElse(null);
                      if (changes == null || changes.size() > REPLAY) {
                        return new InboxStreamConnection.Replay(
                            List.of(
                                ServerSentEvent.builder()
                                    .event("reset")
                                    .data(Map.of("reason", "too far behind; reload the inbox"))
                                    .build()),
                            resumeAfter);
                      }
                      long upTo =
                          changes.stream()
                              .mapToLong(InboxRepository.Replayed::seq)
                              .max()
                              .orElse(resumeAfter);
                      return new InboxStreamConnection.Replay(
                          changes.stream().map(InboxController::sse).toList(), upTo);
                    });
    return Flux.defer(
        () ->
            new InboxStreamConnection(
                    buffer,
                    () -> inbox.countsAt(caller.tenantId(), caller.userId()),
                    InboxController::sse,
                    behind::increment)
                .open(
                    HELLO,
                    listener -> broadcaster.listen(caller.tenantId(), caller.userId(), listener),
                    replay,
                    heartbeatsOfOneSlot(),
                    KEEP_ALIVE));
  }

  /** Ticks once a heartbeat period, on a slot of its own (10,000 streams: ~670 beats a second). */
  private Flux<Long> heartbeatsOfOneSlot() {
    long slot = java.util.concurrent.ThreadLocalRandom.current().nextInt(HEARTBEAT_SLOTS);
    return heartbeats.asFlux().filter(tick -> tick % HEARTBEAT_SLOTS == slot);
  }

  /**
   * A stream ticket for a browser's {@code EventSource}: {@code {"ticket", "expiresAt", "url"}},
   * where {@code url} opens the caller's stream. Each ticket opens streams until it expires (60 s
   * by default); a page asks for a new one whenever it (re)connects by itself.
   */
  @PostMapping(
      path = "/api/notifications/stream/tickets",
      produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Map<String, Object>> ticket(HeraldPrincipal caller) {
    StreamTickets.Ticket ticket = tickets.issue(caller);
    return ResponseEntity.status(HttpStatus.CREATED)
        .cacheControl(CacheControl.noStore())
        .body(
            Map.of(
                "ticket",
                ticket.value(),
                "expiresAt",
                ticket.expiresAt(),
                "url",
                "/api/notifications/stream?ticket="
                    + URLEncoder.encode(ticket.value(), StandardCharsets.UTF_8)));
  }

  /**
   * {@code inbox-counts} events: the counts once the replay is sent, then after every change. A
   * burst of changes costs one query: while one is read, further changes fold into the next.
   */
  private static ServerSentEvent<Object> sse(InboxBroadcaster.StreamEvent e) {
    return ServerSentEvent.builder(e.data())
        .id(e.sequence() != null ? Long.toString(e.sequence()) : e.id())
        .event(e.event())
        .build();
  }

  private static ServerSentEvent<Object> sse(InboxRepository.Replayed c) {
    if ("created".equals(c.kind())) {
      return ServerSentEvent.<Object>builder(c.item())
          .id(Long.toString(c.seq()))
          .event("inbox-item")
          .build();
    }
    return ServerSentEvent.<Object>builder(
            new InboxBroadcaster.Change(c.itemIds(), c.at(), c.seenUpTo()))
        .id(Long.toString(c.seq()))
        .event("inbox-" + c.kind())
        .build();
  }

  /** The sequence number in a {@code Last-Event-ID}; null when it is none (or from before them). */
  private static Long sequence(String lastEventId) {
    if (lastEventId == null || lastEventId.isBlank()) {
      return null;
    }
    try {
      long value = Long.parseLong(lastEventId.trim());
      return value >= 0 ? value : null;
    } catch (NumberFormatException e) {
      return null;
    }
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
                    .flatMap(
                        applied -> {
                          List<InboxItem> changed = applied.items();
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
                                  applied.seq(),
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
