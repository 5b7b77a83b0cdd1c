package io.herald.notification.digests;

import io.herald.notification.preferences.PreferenceRules;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import io.r2dbc.spi.ConnectionFactory;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Digest preferences: per category how often its e-mail (and, if chosen, push) deliveries reach the
 * user ({@code immediate}, {@code hourly}, {@code daily}, {@code weekly}), when daily and weekly
 * digests go out (local time, weekday) and which channels are collected. A user's choice, else the
 * tenant's default (set by an {@code admin}), else immediate at 09:00, Monday, e-mail. The user's
 * view also shows each coming digest: when it goes out, how many items wait for it and when the
 * last one went.
 *
 * <pre>
 * PUT /api/preferences/me/digests
 *     {"categories": {"marketing": "daily", "news": null}, "time": "08:30", "channels": ["EMAIL"]}
 * GET /api/preferences/me/digests
 *     {"categories": {"marketing": {"frequency": "daily", "source": "user"}}, "time": "08:30", ...,
 *      "upcoming": [{"frequency": "daily", "nextAt": "...", "pending": 3, ...}]}
 * PUT|GET /api/preferences/tenant/digests   the tenant's defaults (admin)
 * </pre>
 *
 * A category set to {@code null} drops the user's choice (the tenant's default applies again).
 */
@RestController
@RequestMapping(path = "/api/preferences", produces = MediaType.APPLICATION_JSON_VALUE)
class DigestController {

  private static final DateTimeFormatter HH_MM =
      DateTimeFormatter.ofPattern("HH:mm").withResolverStyle(ResolverStyle.STRICT);

  private final DatabaseClient db;
  private final TransactionalOperator transaction;
  private final DigestProperties properties;

  DigestController(DatabaseClient db, ConnectionFactory connections, DigestProperties properties) {
    this.db = db;
    this.transaction = TransactionalOperator.create(new R2dbcTransactionManager(connections));
    this.properties = properties;
  }

  /** A change: any of the fields; categories map to a frequency, or null to drop a choice. */
  record Change(
      Map<String, String> categories, String time, String weekday, List<String> channels) {}

  /** One category's frequency and whose choice it is ({@code user} or {@code tenant}). */
  record CategoryFrequency(String frequency, String source) {}

  /** A digest with items waiting, or the last one sent. */
  record Upcoming(
      String frequency, Instant nextAt, long pending, Instant lastSentAt, String lastPeriod) {}

  /** What a user sees. {@code source} says whose time, weekday and channels these are. */
  record Mine(
      Map<String, CategoryFrequency> categories,
      String time,
      String weekday,
      List<String> channels,
      String source,
      List<Upcoming> upcoming) {}

  /** The tenant's defaults. */
  record Tenant(
      Map<String, String> categories,
      String time,
      String weekday,
      List<String> channels,
      String source) {}

  @GetMapping("/me/digests")
  Mono<Mine> mine(HeraldPrincipal caller) {
    String tenant = caller.tenantId();
    String user = caller.userId();
    Mono<Map<String, CategoryFrequency>> categories =
        db.sql(
                "SELECT user_id, category, frequency FROM digest_frequencies"
                    + " WHERE tenant_id = :tenant AND user_id IN (:user, '*')")
            .bind("tenant", tenant)
            .bind("user", user)
            .map(
                row ->
                    new String[] {
                      row.get("user_id", String.class),
                      row.get("category", String.class),
                      row.get("frequency", String.class)
                    })
            .all()
            .collectList()
            .map(
                rows -> {
                  Map<String, CategoryFrequency> found = new TreeMap<>();
                  for (String[] r : rows) {
                    boolean own = !r[0].equals(PreferenceRules.EVERY_USER);
                    if (own || !found.containsKey(r[1])) {
                      found.put(r[1], new CategoryFrequency(label(r[2]), own ? "user" : "tenant"));
                    }
                  }
                  return found;
                });
    return Mono.zip(categories, settings(tenant, user), upcoming(tenant, user))
        .map(
            t ->
                new Mine(
                    t.getT1(),
                    t.getT2().time(),
                    t.getT2().weekday(),
                    t.getT2().channels(),
                    t.getT2().source(),
                    t.getT3()));
  }

  @PutMapping(path = "/me/digests", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<Mine> setMine(HeraldPrincipal caller, @RequestBody Change change) {
    return store(caller.tenantId(), caller.userId(), change).then(mine(caller));
  }

  @GetMapping("/tenant/digests")
  Mono<Tenant> tenant(HeraldPrincipal caller) {
    requireAdmin(caller);
    return tenantView(caller.tenantId());
  }

  @PutMapping(path = "/tenant/digests", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<Tenant> setTenant(HeraldPrincipal caller, @RequestBody Change change) {
    requireAdmin(caller);
    return store(caller.tenantId(), PreferenceRules.EVERY_USER, change)
        .then(tenantView(caller.tenantId()));
  }

  private Mono<Tenant> tenantView(String tenant) {
    Mono<Map<String, String>> categories =
        db.sql(
                "SELECT category, frequency FROM digest_frequencies"
                    + " WHERE tenant_id = :tenant AND user_id = '*' ORDER BY category")
            .bind("tenant", tenant)
            .map(
                row ->
                    Map.entry(
                        row.get("category", String.class),
                        label(row.get("frequency", String.class))))
            .all()
            .collectMap(Map.Entry::getKey, Map.Entry::getValue, TreeMap::new);
    return Mono.zip(categories, settings(tenant, PreferenceRules.EVERY_USER))
        .map(
            t ->
                new Tenant(
                    t.getT1(),
                    t.getT2().time(),
                    t.getT2().weekday(),
                    t.getT2().channels(),
                    t.getT2().source()));
  }

  /** Settings as shown: the user's row, else the tenant's, else the defaults. */
  private record Shown(String time, String weekday, List<String> channels, String source) {}

  private Mono<Shown> settings(String tenant, String user) {
    return db.sql(
            "SELECT user_id, send_time, weekday, channels FROM digest_settings"
                + " WHERE tenant_id = :tenant AND user_id IN (:user, '*')"
                + " ORDER BY (user_id = '*')")
        .bind("tenant", tenant)
        .bind("user", user)
        .map(
            row ->
                new Shown(
                    row.get("send_time", LocalTime.class).format(HH_MM),
                    DayOfWeek.of(((Number) row.get("weekday")).intValue()).name(),
                    List.of(row.get("channels", String[].class)),
                    PreferenceRules.EVERY_USER.equals(row.get("user_id", String.class))
                        ? "tenant"
                        : "user"))
        .all()
        .next()
        .defaultIfEmpty(
            new Shown(
                DigestSettings.DEFAULT.time().format(HH_MM),
                DigestSettings.DEFAULT.weekday().name(),
                DigestSettings.DEFAULT.channels().stream().map(Enum::name).sorted().toList(),
                "default"));
  }

  /**
   * Per frequency with items waiting or a digest sent: the next digest's time, the items it would
   * hold now (read ones left out when the service leaves them out) and the last digest.
   */
  private Mono<List<Upcoming>> upcoming(String tenant, String user) {
    String pending =
        properties.excludeRead()
            ? """
              SELECT i.frequency, count(*) AS n FROM digest_items i
                LEFT JOIN inbox_items x ON x.tenant_id = i.tenant_id AND x.user_id = i.user_id
                 AND x.notification_id = i.notification_id
               WHERE i.tenant_id = :tenant AND i.user_id = :user
                 AND x.read_at IS NULL AND x.archived_at IS NULL
               GROUP BY i.frequency
              """
            : """
              SELECT frequency, count(*) AS n FROM digest_items
               WHERE tenant_id = :tenant AND user_id = :user GROUP BY frequency
              """;
    Mono<Map<String, Long>> counts =
        db.sql(pending)
            .bind("tenant", tenant)
            .bind("user", user)
            .map(row -> Map.entry(row.get("frequency", String.class), row.get("n", Long.class)))
            .all()
            .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    Mono<Map<String, Instant>> next =
        db.sql(
                "SELECT frequency, due_at FROM digest_schedule"
                    + " WHERE tenant_id = :tenant AND user_id = :user")
            .bind("tenant", tenant)
            .bind("user", user)
            .map(
                row ->
                    Map.entry(
                        row.get("frequency", String.class),
                        row.get("due_at", OffsetDateTime.class).toInstant()))
            .all()
            .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    Mono<Map<String, Object[]>> last =
        db.sql(
                "SELECT DISTINCT ON (frequency) frequency, period, sent_at FROM digests"
                    + " WHERE tenant_id = :tenant AND user_id = :user"
                    + " ORDER BY frequency, sent_at DESC")
            .bind("tenant", tenant)
            .bind("user", user)
            .map(
                row ->
                    Map.entry(
                        row.get("frequency", String.class),
                        new Object[] {
                          row.get("period", String.class),
                          row.get("sent_at", OffsetDateTime.class).toInstant()
                        }))
            .all()
            .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    return Mono.zip(counts, next, last)
        .map(
            t -> {
              Set<String> frequencies = new LinkedHashSet<>();
              for (DigestFrequency f : DigestFrequency.values()) {
                if (t.getT1().containsKey(f.name())
                    || t.getT2().containsKey(f.name())
                    || t.getT3().containsKey(f.name())) {
                  frequencies.add(f.name());
                }
              }
              List<Upcoming> upcoming = new ArrayList<>();
              for (String f : frequencies) {
                Object[] l = t.getT3().get(f);
                upcoming.add(
                    new Upcoming(
                        label(f),
                        t.getT2().get(f),
                        t.getT1().getOrDefault(f, 0L),
                        l == null ? null : (Instant) l[1],
                        l == null ? null : (String) l[0]));
              }
              return upcoming;
            });
  }

  private Mono<Void> store(String tenant, String user, Change change) {
    if (change == null) {
      throw ApiException.invalid(List.of(Map.of("field", "", "message", "a body is required")));
    }
    List<Map<String, String>> errors = new ArrayList<>();
    Map<String, DigestFrequency> set = new LinkedHashMap<>();
    List<String> dropped = new ArrayList<>();
    if (change.categories() != null) {
      change
          .categories()
          .forEach(
              (category, value) -> {
                String field = "categories." + category;
                if (category.isBlank() || category.length() > 100) {
                  errors.add(Map.of("field", field, "message", "must be 1 to 100 characters"));
                } else if (value == null) {
                  dropped.add(category);
                } else {
                  DigestFrequency.parse(value)
                      .ifPresentOrElse(
                          f -> set.put(category, f),
                          () ->
                              errors.add(
                                  Map.of(
                                      "field",
                                      field,
                                      "message",
                                      "must be immediate, hourly, daily or weekly")));
                }
              });
    }
    LocalTime time = null;
    if (change.time() != null) {
      try {
        time = LocalTime.parse(change.time(), HH_MM);
      } catch (DateTimeParseException e) {
        errors.add(Map.of("field", "time", "message", "must be HH:mm, 00:00 to 23:59"));
      }
    }
    DayOfWeek weekday = null;
    if (change.weekday() != null) {
      try {
        weekday = DayOfWeek.valueOf(change.weekday().strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        errors.add(Map.of("field", "weekday", "message", "must be MONDAY to SUNDAY"));
      }
    }
    List<String> channels = null;
    if (change.channels() != null) {
      Set<String> chosen = new java.util.TreeSet<>();
      for (String c : change.channels()) {
        String name = c == null ? "" : c.strip().toUpperCase(Locale.ROOT);
        if (DigestSettings.COLLECTABLE.stream().noneMatch(x -> x.name().equals(name))) {
          errors.add(Map.of("field", "channels", "message", "may hold EMAIL and PUSH only"));
        } else {
          chosen.add(name);
        }
      }
      if (chosen.isEmpty() && errors.isEmpty()) {
        errors.add(Map.of("field", "channels", "message", "must name EMAIL, PUSH or both"));
      }
      channels = List.copyOf(chosen);
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    List<Mono<?>> writes = new ArrayList<>();
    set.forEach(
        (category, f) ->
            writes.add(
                db.sql(
                        "INSERT INTO digest_frequencies (tenant_id, user_id, category, frequency)"
                            + " VALUES (:tenant, :user, :category, :frequency)"
                            + " ON CONFLICT (tenant_id, user_id, category)"
                            + " DO UPDATE SET frequency = excluded.frequency")
                    .bind("tenant", tenant)
                    .bind("user", user)
                    .bind("category", category)
                    .bind("frequency", f.name())
                    .then()));
    dropped.forEach(
        category ->
            writes.add(
                db.sql(
                        "DELETE FROM digest_frequencies"
                            + " WHERE tenant_id = :tenant AND user_id = :user"
                            + " AND category = :category")
                    .bind("tenant", tenant)
                    .bind("user", user)
                    .bind("category", category)
                    .then()));
    if (time != null || weekday != null || channels != null) {
      // Fields not given keep what applies now (the user's, else the tenant's, else the default).
      LocalTime t = time;
      DayOfWeek w = weekday;
      List<String> c = channels;
      writes.add(
          settings(tenant, user)
              .flatMap(
                  current ->
                      db.sql(
                              "INSERT INTO digest_settings"
                                  + " (tenant_id, user_id, send_time, weekday, channels)"
                                  + " VALUES (:tenant, :user, :time, :weekday, :channels)"
                                  + " ON CONFLICT (tenant_id, user_id) DO UPDATE"
                                  + " SET send_time = excluded.send_time,"
                                  + " weekday = excluded.weekday, channels = excluded.channels")
                          .bind("tenant", tenant)
                          .bind("user", user)
                          .bind("time", t != null ? t : LocalTime.parse(current.time(), HH_MM))
                          .bind(
                              "weekday",
                              (w != null ? w : DayOfWeek.valueOf(current.weekday())).getValue())
                          .bind(
                              "channels",
                              (c != null ? c : current.channels()).toArray(String[]::new))
                          .then()));
    }
    return Flux.concat(writes).then().as(transaction::transactional);
  }

  private static String label(String frequency) {
    return DigestFrequency.parse(frequency).map(DigestFrequency::label).orElse(frequency);
  }

  private static void requireAdmin(HeraldPrincipal caller) {
    if (!caller.hasRole("admin")) {
      throw ApiException.missingRole(
          "admin", "Only an admin may manage the tenant's default digest preferences.");
    }
  }
}
