package io.herald.notification.preferences;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Quiet hours: a window of local time (the subscriber's time zone) in which non-critical e-mail,
 * WhatsApp and push deliveries are held until it ends; in-app items are never held. A user's own
 * window, else the tenant's default (set by an {@code admin}).
 *
 * <pre>
 * PUT /api/preferences/me/quiet-hours      {"start": "22:00", "end": "07:00"}
 * GET /api/preferences/me/quiet-hours      {"start": "22:00", "end": "07:00", "source": "user"}
 * DELETE /api/preferences/me/quiet-hours   back to the tenant's default
 * PUT|GET|DELETE /api/preferences/tenant/quiet-hours   the tenant's default (admin)
 * </pre>
 */
@RestController
@RequestMapping(path = "/api/preferences", produces = MediaType.APPLICATION_JSON_VALUE)
class QuietHoursController {

  private static final DateTimeFormatter HH_MM =
      DateTimeFormatter.ofPattern("HH:mm").withResolverStyle(ResolverStyle.STRICT);

  private final DatabaseClient db;

  QuietHoursController(DatabaseClient db) {
    this.db = db;
  }

  /** A window as it is sent and shown; {@code source} is {@code user}, {@code tenant} or none. */
  record Window(String start, String end, String source) {}

  @GetMapping("/me/quiet-hours")
  Mono<Window> mine(HeraldPrincipal caller) {
    return find(caller.tenantId(), caller.userId())
        .map(w -> new Window(w.start(), w.end(), "user"))
        .switchIfEmpty(
            find(caller.tenantId(), PreferenceRules.EVERY_USER)
                .map(w -> new Window(w.start(), w.end(), "tenant")))
        .defaultIfEmpty(new Window(null, null, "none"));
  }

  @PutMapping(path = "/me/quiet-hours", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<Window> setMine(HeraldPrincipal caller, @RequestBody Window body) {
    return store(caller.tenantId(), caller.userId(), body, "user");
  }

  @DeleteMapping("/me/quiet-hours")
  Mono<ResponseEntity<Void>> clearMine(HeraldPrincipal caller) {
    return clear(caller.tenantId(), caller.userId());
  }

  @GetMapping("/tenant/quiet-hours")
  Mono<Window> tenant(HeraldPrincipal caller) {
    requireAdmin(caller);
    return find(caller.tenantId(), PreferenceRules.EVERY_USER)
        .map(w -> new Window(w.start(), w.end(), "tenant"))
        .defaultIfEmpty(new Window(null, null, "none"));
  }

  @PutMapping(path = "/tenant/quiet-hours", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<Window> setTenant(HeraldPrincipal caller, @RequestBody Window body) {
    requireAdmin(caller);
    return store(caller.tenantId(), PreferenceRules.EVERY_USER, body, "tenant");
  }

  @DeleteMapping("/tenant/quiet-hours")
  Mono<ResponseEntity<Void>> clearTenant(HeraldPrincipal caller) {
    requireAdmin(caller);
    return clear(caller.tenantId(), PreferenceRules.EVERY_USER);
  }

  private Mono<Window> find(String tenantId, String userId) {
    return db.sql(
            "SELECT start_time, end_time FROM quiet_hours"
                + " WHERE tenant_id = :tenant AND user_id = :user")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .map(
            row ->
                new Window(
                    row.get("start_time", LocalTime.class).format(HH_MM),
                    row.get("end_time", LocalTime.class).format(HH_MM),
                    null))
        .one();
  }

  private Mono<Window> store(String tenantId, String userId, Window body, String source) {
    List<Map<String, String>> errors = new ArrayList<>();
    LocalTime start = time(body == null ? null : body.start(), "start", errors);
    LocalTime end = time(body == null ? null : body.end(), "end", errors);
    if (start != null && start.equals(end)) {
      errors.add(Map.of("field", "end", "message", "must differ from start"));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    return db.sql(
            "INSERT INTO quiet_hours (tenant_id, user_id, start_time, end_time)"
                + " VALUES (:tenant, :user, :start, :end)"
                + " ON CONFLICT (tenant_id, user_id)"
                + " DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("start", start)
        .bind("end", end)
        .then()
        .thenReturn(new Window(start.format(HH_MM), end.format(HH_MM), source));
  }

  private Mono<ResponseEntity<Void>> clear(String tenantId, String userId) {
    return db.sql("DELETE FROM quiet_hours WHERE tenant_id = :tenant AND user_id = :user")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .then()
        .thenReturn(ResponseEntity.noContent().build());
  }

  private static LocalTime time(String value, String field, List<Map<String, String>> errors) {
    if (value == null) {
      errors.add(Map.of("field", field, "message", "is required, HH:mm"));
      return null;
    }
    try {
      return LocalTime.parse(value, HH_MM);
    } catch (DateTimeParseException e) {
      errors.add(Map.of("field", field, "message", "must be HH:mm, 00:00 to 23:59"));
      return null;
    }
  }

  private static void requireAdmin(HeraldPrincipal caller) {
    if (!caller.hasRole("admin")) {
      throw ApiException.missingRole(
          "admin", "Only an admin may manage the tenant's default quiet hours.");
    }
  }
}
