package io.herald.notification.activity;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Delivery activity: what happened to a notification on its way to each recipient and channel. The
 * sender of a request and the tenant's admins see it; anyone else gets 404, as for a request that
 * does not exist.
 *
 * <pre>
 * GET /api/notifications/requests?sender=&amp;limit=&amp;cursor=   requests, newest first (the
 *                                                         caller's own; an admin's: anyone's)
 * GET /api/notifications/requests/{requestId}/activity?limit=&amp;cursor=
 *                                                         summary and recipients by user id
 * GET /api/notifications/activity?user=&amp;limit=&amp;cursor=     one user's events, newest first
 *                                                         (the caller's own; an admin's: anyone's)
 * </pre>
 */
@RestController
class ActivityController {

  static final String ADMIN = "admin";

  /** The outcomes a delivery is still on its way in. */
  private static final List<String> PENDING = List.of("REQUESTED", "RETRYING", "HELD");

  private final ActivityRepository activity;

  ActivityController(ActivityRepository activity) {
    this.activity = activity;
  }

  @GetMapping(path = "/api/notifications/requests", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> requests(
      HeraldPrincipal caller,
      @RequestParam(name = "sender", required = false) String sender,
      @RequestParam(name = "limit", defaultValue = "20") int limit,
      @RequestParam(name = "cursor", required = false) String cursor) {
    String of = sender;
    if (!caller.hasRole(ADMIN)) {
      if (sender != null && !sender.equals(caller.userId())) {
        throw ApiException.missingRole(
            "admin", "Only an admin may list the requests of another sender.");
      }
      of = caller.userId();
    }
    int bounded = bounded(limit);
    String[] after = cursor == null ? null : decode(cursor).split("\\|", 2);
    if (after != null && after.length != 2) {
      throw badCursor();
    }
    Instant afterTime = after == null ? null : instant(after[0]);
    return activity
        .requests(caller.tenantId(), of, afterTime, after == null ? null : after[1], bounded + 1)
        .collectList()
        .map(
            rows -> {
              List<Map<String, Object>> items = new ArrayList<>();
              for (ActivityRepository.Request r : rows.subList(0, Math.min(bounded, rows.size()))) {
                items.add(describe(r));
              }
              Map<String, Object> page = new LinkedHashMap<>();
              page.put("items", items);
              ActivityRepository.Request last =
                  rows.size() > bounded ? rows.get(bounded - 1) : null;
              page.put(
                  "nextCursor",
                  last == null ? null : encode(last.requestedAt() + "|" + last.requestId()));
              return page;
            });
  }

  @GetMapping(
      path = "/api/notifications/requests/{requestId}/activity",
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> requestActivity(
      HeraldPrincipal caller,
      @PathVariable String requestId,
      @RequestParam(name = "limit", defaultValue = "50") int limit,
      @RequestParam(name = "cursor", required = false) String cursor) {
    int bounded = bounded(limit);
    String afterUser = cursor == null ? null : decode(cursor);
    return activity
        .request(caller.tenantId(), requestId)
        .filter(r -> caller.hasRole(ADMIN) || r.requestedBy().equals(caller.userId()))
        .switchIfEmpty(
            Mono.error(
                () ->
                    ApiException.notFound(
                        "No notification request "
                            + requestId
                            + " of yours is known. A request just accepted shows here once it"
                            + " is taken for delivery, within moments.")))
        .flatMap(
            request -> {
              Mono<Map<String, Object>> summary =
                  cursor != null
                      ? Mono.just(Map.of())
                      : Mono.zip(
                              activity.recipients(caller.tenantId(), requestId),
                              activity.outcomes(caller.tenantId(), requestId).collectList())
                          .map(t -> summary(t.getT1(), t.getT2()));
              Mono<Map<String, Object>> recipients =
                  activity
                      .recipientPage(caller.tenantId(), requestId, afterUser, bounded + 1)
                      .collectList()
                      .flatMap(
                          users -> {
                            List<String> page = users.subList(0, Math.min(bounded, users.size()));
                            String next = users.size() > bounded ? page.get(page.size() - 1) : null;
                            Mono<List<ActivityRepository.Event>> events =
                                page.isEmpty()
                                    ? Mono.just(List.of())
                                    : activity
                                        .eventsOf(caller.tenantId(), requestId, page)
                                        .collectList();
                            return events.map(
                                e -> {
                                  Map<String, Object> body = new LinkedHashMap<>();
                                  body.put("recipients", recipients(e));
                                  body.put("nextCursor", next == null ? null : encode(next));
                                  return body;
                                });
                          });
              return Mono.zip(summary, recipients)
                  .map(
                      t -> {
                        Map<String, Object> body = describe(request);
                        if (!t.getT1().isEmpty()) {
                          body.put("summary", t.getT1());
                        }
                        body.putAll(t.getT2());
                        return body;
                      });
            });
  }

  @GetMapping(path = "/api/notifications/activity", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> userActivity(
      HeraldPrincipal caller,
      @RequestParam(name = "user", required = false) String user,
      @RequestParam(name = "limit", defaultValue = "50") int limit,
      @RequestParam(name = "cursor", required = false) String cursor) {
    String of = user == null ? caller.userId() : user;
    if (!of.equals(caller.userId()) && !caller.hasRole(ADMIN)) {
      throw ApiException.missingRole(
          "admin", "Only an admin may see the delivery activity of another user.");
    }
    int bounded = bounded(limit);
    Long before;
    try {
      before = cursor == null ? null : Long.valueOf(decode(cursor));
    } catch (NumberFormatException e) {
      throw badCursor();
    }
    return activity
        .eventsFor(caller.tenantId(), of, before, bounded + 1)
        .collectList()
        .map(
            rows -> {
              List<Map<String, Object>> items = new ArrayList<>();
              for (ActivityRepository.Event e : rows.subList(0, Math.min(bounded, rows.size()))) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("notificationId", e.notificationId());
                item.put("channel", e.channel());
                item.put("deliveryId", e.deliveryId());
                item.putAll(event(e));
                if (e.readAt() != null) {
                  item.put("readAt", e.readAt().toString());
                }
                items.add(item);
              }
              Map<String, Object> page = new LinkedHashMap<>();
              page.put("userId", of);
              page.put("items", items);
              page.put(
                  "nextCursor",
                  rows.size() > bounded
                      ? encode(Long.toString(rows.get(bounded - 1).seq()))
                      : null);
              return page;
            });
  }

  private static Map<String, Object> describe(ActivityRepository.Request r) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("requestId", r.requestId());
    body.put("requestedBy", r.requestedBy());
    body.put("requestedAt", r.requestedAt().toString());
    body.put("category", r.category());
    body.put("channels", r.channels());
    if (r.sendAt() != null) {
      Map<String, Object> schedule = new LinkedHashMap<>();
      schedule.put("sendAt", r.sendAt().toString());
      schedule.put("status", r.scheduleStatus());
      schedule.put("at", r.scheduleDoneAt() == null ? null : r.scheduleDoneAt().toString());
      body.put("schedule", schedule);
    }
    return body;
  }

  /**
   * {@code {"recipients", "deliveries", "pending", "channels": {"EMAIL": {"SENT": 2, ...}}}}: every
   * delivery counted once, under its outcome so far; {@code pending} are those still on their way
   * (requested or retrying).
   */
  private static Map<String, Object> summary(
      long recipients, List<ActivityRepository.OutcomeCount> outcomes) {
    Map<String, Map<String, Long>> channels = new TreeMap<>();
    long deliveries = 0;
    long pending = 0;
    for (ActivityRepository.OutcomeCount o : outcomes) {
      channels.computeIfAbsent(o.channel(), c -> new TreeMap<>()).put(o.outcome(), o.deliveries());
      deliveries += o.deliveries();
      if (PENDING.contains(o.outcome())) {
        pending += o.deliveries();
      }
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("recipients", recipients);
    summary.put("deliveries", deliveries);
    summary.put("pending", pending);
    summary.put("channels", channels);
    return summary;
  }

  /** Events (ordered by user, channel, delivery, time) grouped into recipients and deliveries. */
  private static List<Map<String, Object>> recipients(List<ActivityRepository.Event> events) {
    Map<String, Map<String, List<ActivityRepository.Event>>> byUser = new LinkedHashMap<>();
    for (ActivityRepository.Event e : events) {
      byUser
          .computeIfAbsent(e.userId(), u -> new LinkedHashMap<>())
          .computeIfAbsent(e.deliveryId(), d -> new ArrayList<>())
          .add(e);
    }
    List<Map<String, Object>> recipients = new ArrayList<>();
    byUser.forEach(
        (user, deliveries) -> {
          List<Map<String, Object>> described = new ArrayList<>();
          deliveries.forEach(
              (id, timeline) -> {
                List<Map<String, Object>> steps = new ArrayList<>();
                timeline.forEach(e -> steps.add(event(e)));
                Instant readAt = timeline.get(0).readAt();
                if (readAt != null) {
                  steps.add(Map.of("status", "READ", "at", readAt.toString()));
                }
                Map<String, Object> delivery = new LinkedHashMap<>();
                delivery.put("channel", timeline.get(0).channel());
                delivery.put("deliveryId", id);
                delivery.put("outcome", timeline.get(0).outcome());
                delivery.put("events", steps);
                described.add(delivery);
              });
          Map<String, Object> recipient = new LinkedHashMap<>();
          recipient.put("userId", user);
          recipient.put("deliveries", described);
          recipients.add(recipient);
        });
    return recipients;
  }

  private static Map<String, Object> event(ActivityRepository.Event e) {
    Map<String, Object> step = new LinkedHashMap<>();
    step.put("status", e.status());
    step.put("at", e.at().toString());
    if (e.reason() != null) {
      step.put("reason", e.reason());
    }
    if (e.status().equals("FAILED")) {
      step.put("retried", !e.finalFailure());
    }
    if (e.provider() != null) {
      step.put("provider", e.provider());
    }
    if (e.providerMessageId() != null) {
      step.put("providerMessageId", e.providerMessageId());
    }
    if (e.attempt() != null) {
      step.put("attempt", e.attempt());
    }
    return step;
  }

  private static int bounded(int limit) {
    return Math.max(1, Math.min(limit, 200));
  }

  private static String encode(String raw) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String cursor) {
    try {
      return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw badCursor();
    }
  }

  private static Instant instant(String value) {
    try {
      return Instant.parse(value);
    } catch (java.time.format.DateTimeParseException e) {
      throw badCursor();
    }
  }

  private static ApiException badCursor() {
    return ApiException.invalid(
        List.of(Map.of("field", "cursor", "message", "is not a cursor this API returned")));
  }
}
