package io.herald.gateway.admin;

import io.herald.gateway.admin.DeadLetterReplays.Replay;
import io.herald.gateway.admin.DeadLetterTopics.Criteria;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dead-letter admin API, for callers with the {@code operator} role. An operator sees and
 * replays the dead letters of their own tenant; a dead letter whose payload cannot be decoded (so
 * its tenant is unknown) only with the {@code platform-operator} role.
 *
 * <ul>
 *   <li>{@code GET /api/admin/dead-letters}: every dead-letter topic and how many records it holds
 *   <li>{@code GET /api/admin/dead-letters/{topic}?reason=&from=&to=&limit=}: its records, decoded
 *   <li>{@code POST /api/admin/dead-letters/{topic}/replay}: {@code {"ids": [...]}} or {@code
 *       {"matching": {"reason": ..., "from": ..., "to": ...}}} back to the original topic
 *   <li>{@code GET /api/admin/replays}: the audit log of replays
 * </ul>
 */
@RestController
class DeadLetterController {

  static final String OPERATOR = "operator";
  static final String PLATFORM_OPERATOR = "platform-operator";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final DeadLetterTopics topics;
  private final DeadLetterReplays replays;

  DeadLetterController(DeadLetterTopics topics, DeadLetterReplays replays) {
    this.topics = topics;
    this.replays = replays;
  }

  record TopicSize(String topic, String originalTopic, long records) {}

  record Page(String topic, List<DeadLetter> items) {}

  record ReplayRequest(List<String> ids, Matching matching) {}

  record Matching(String reason, Instant from, Instant to) {}

  @GetMapping(path = "/api/admin/dead-letters", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, List<TopicSize>>> topics(HeraldPrincipal caller) {
    requireOperator(caller);
    return blocking(
        () ->
            Map.of(
                "topics",
                topics.sizes().entrySet().stream()
                    .map(
                        size ->
                            new TopicSize(
                                size.getKey(),
                                DeadLetterTopics.originOf(size.getKey()).orElseThrow().name(),
                                size.getValue()))
                    .toList()));
  }

  @GetMapping(path = "/api/admin/dead-letters/{topic}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Page> list(
      @PathVariable String topic,
      @RequestParam(required = false) String reason,
      @RequestParam(required = false) Instant from,
      @RequestParam(required = false) Instant to,
      @RequestParam(defaultValue = "100") int limit,
      HeraldPrincipal caller) {
    requireOperator(caller);
    requireDeadLetterTopic(topic);
    if (limit < 1 || limit > DeadLetterTopics.MAX_RECORDS) {
      throw new ApiException(
          HttpStatus.BAD_REQUEST,
          "validation-failed",
          "limit must be between 1 and " + DeadLetterTopics.MAX_RECORDS);
    }
    Criteria criteria = new Criteria(reason, from, to, null);
    return blocking(
        () ->
            new Page(
                topic,
                topics.read(topic, criteria, visibleTo(caller), limit).stream()
                    .map(DeadLetterTopics.Matched::letter)
                    .toList()));
  }

  @PostMapping(
      path = "/api/admin/dead-letters/{topic}/replay",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Replay> replay(
      @PathVariable String topic, @RequestBody ReplayRequest request, HeraldPrincipal caller) {
    requireOperator(caller);
    requireDeadLetterTopic(topic);
    if ((request.ids() == null) == (request.matching() == null)) {
      throw new ApiException(
          HttpStatus.BAD_REQUEST,
          "validation-failed",
          "Give either \"ids\" (a list of <partition>-<offset>) or \"matching\" (reason, from,"
              + " to; {} for every dead letter of the topic).");
    }
    Criteria criteria =
        request.ids() != null
            ? new Criteria(null, null, null, List.copyOf(request.ids()))
            : new Criteria(
                request.matching().reason(),
                request.matching().from(),
                request.matching().to(),
                null);
    String described = JSON.writeValueAsString(request);
    return blocking(
        () ->
            replays.replay(
                caller.tenantId(),
                caller.userId(),
                topic,
                described,
                topics.read(topic, criteria, visibleTo(caller), DeadLetterTopics.MAX_RECORDS)));
  }

  @GetMapping(path = "/api/admin/replays", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, List<Replay>>> history(
      @RequestParam(defaultValue = "50") int limit, HeraldPrincipal caller) {
    requireOperator(caller);
    int bounded = Math.max(1, Math.min(limit, 500));
    return blocking(() -> Map.of("items", replays.history(caller.tenantId(), bounded)));
  }

  private static Predicate<DeadLetter> visibleTo(HeraldPrincipal caller) {
    boolean platform = caller.hasRole(PLATFORM_OPERATOR);
    return letter ->
        letter.tenantId() == null ? platform : letter.tenantId().equals(caller.tenantId());
  }

  private static void requireOperator(HeraldPrincipal caller) {
    if (!caller.hasAnyRole(OPERATOR, PLATFORM_OPERATOR)) {
      throw ApiException.missingRole(
          OPERATOR, "The dead-letter admin API needs the operator role.");
    }
  }

  private static void requireDeadLetterTopic(String topic) {
    if (DeadLetterTopics.originOf(topic).isEmpty()) {
      throw new ApiException(
          HttpStatus.NOT_FOUND,
          "not-found",
          topic + " is not a dead-letter topic of Herald (<catalog topic>-dlt).");
    }
  }

  private static <T> Mono<T> blocking(Callable<T> work) {
    return Mono.fromCallable(work).subscribeOn(Schedulers.boundedElastic());
  }
}
