package io.herald.notification.activity;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads of delivery activity, each scoped to one tenant and one statement. A delivery's outcome is
 * its furthest event: requested, then retrying, sent, delivered, read; skipped, failed and
 * dead-lettered end it. An in-app delivery is read when its inbox item is.
 */
@Repository
class ActivityRepository {

  /**
   * How far an event takes its delivery; the outcome is the event that took it furthest. HELD (by
   * quiet hours or for a digest) is overtaken by anything that follows it.
   */
  private static final String RANK =
      """
      CASE WHEN a.status = 'HELD' THEN -1
           WHEN a.status = 'REQUESTED' THEN 0
           WHEN a.status = 'FAILED' AND NOT a.final THEN 1
           WHEN a.status = 'SENT' THEN 2
           WHEN a.status = 'DELIVERED' THEN 3
           WHEN a.status = 'READ' THEN 4
           ELSE 5 END""";

  private static final String OUTCOME =
      """
      CASE WHEN a.channel = 'IN_APP' AND i.read_at IS NOT NULL THEN 'READ'
           WHEN a.status = 'FAILED' AND NOT a.final THEN 'RETRYING'
           ELSE a.status END""";

  private static final String IN_APP_ITEM =
      "LEFT JOIN inbox_items i ON a.channel = 'IN_APP' AND i.id = a.delivery_id::uuid";

  /**
   * A request and, when it was held for later, its schedule: held whole, or in parts (one per
   * instant of a time of day in the recipients' zones), summed up as the first time, and the status
   * of all parts (PARTLY_SENT while some are sent and others wait or were cancelled).
   */
  private static final String REQUEST_COLUMNS =
      "SELECT r.request_id, r.requested_by, r.category, r.channels, r.requested_at,"
          + " s.send_at, s.schedule_status, s.schedule_done_at"
          + " FROM notification_requests r LEFT JOIN LATERAL ("
          + " SELECT min(send_at) AS send_at, max(done_at) AS schedule_done_at,"
          + " CASE WHEN bool_and(status = 'SCHEDULED') THEN 'SCHEDULED'"
          + " WHEN bool_and(status = 'SENT') THEN 'SENT'"
          + " WHEN bool_and(status = 'CANCELLED') THEN 'CANCELLED'"
          + " WHEN bool_or(status = 'SENT') THEN 'PARTLY_SENT'"
          + " ELSE 'SCHEDULED' END AS schedule_status"
          + " FROM scheduled_notifications"
          + " WHERE tenant_id = r.tenant_id AND request_id = r.request_id) s ON true";

  private static final String COLUMNS =
      "seq, event_id, tenant_id, notification_id, user_id, channel, delivery_id, status, final,"
          + " reason, provider, provider_message_id, attempt, occurred_at";

  /**
   * The events of request {@code :request}: its own, and for each of its deliveries collected into
   * a digest, the events of the digest's delivery on that channel, under the collected delivery's
   * id (so its outcome is the digest's). {@code users} limits both to some recipients.
   */
  private static String requestEvents(String users) {
    return "(SELECT "
        + COLUMNS
        + " FROM delivery_activity WHERE tenant_id = :tenant AND notification_id = :request"
        + users.replace("$", "")
        + " UNION ALL SELECT g.seq, g.event_id, g.tenant_id, h.notification_id, g.user_id,"
        + " g.channel, h.delivery_id, g.status, g.final, g.reason, g.provider,"
        + " g.provider_message_id, g.attempt, g.occurred_at"
        + " FROM delivery_activity h"
        + " JOIN digests d ON d.tenant_id = h.tenant_id AND d.user_id = h.user_id"
        + " AND h.notification_id = ANY(d.notification_ids)"
        + " JOIN delivery_activity g ON g.tenant_id = d.tenant_id"
        + " AND g.notification_id = d.digest_id::text AND g.user_id = d.user_id"
        + " AND g.channel = h.channel"
        + " WHERE h.tenant_id = :tenant AND h.notification_id = :request"
        + " AND h.status = 'HELD' AND h.reason LIKE 'digest %'"
        + users.replace("$", "h.")
        + ") a ";
  }

  private static final String EVENT_COLUMNS =
      "a.seq, a.notification_id, a.user_id, a.channel, a.delivery_id, a.status, a.final,"
          + " a.reason, a.provider, a.provider_message_id, a.attempt, a.occurred_at, i.read_at";

  /**
   * A request as its sender made it.
   *
   * @param sendAt for a request held for later: when it is (or was) due, else null
   * @param scheduleStatus with {@code sendAt}: {@code SCHEDULED}, {@code SENT}, {@code CANCELLED}
   *     or (a request held in parts, some sent) {@code PARTLY_SENT}
   * @param scheduleDoneAt when it was sent or cancelled
   */
  record Request(
      String requestId,
      String requestedBy,
      String category,
      List<String> channels,
      Instant requestedAt,
      Instant sendAt,
      String scheduleStatus,
      Instant scheduleDoneAt) {}

  /** Deliveries of one channel that ended (so far) in one outcome, and their recipients. */
  record OutcomeCount(String channel, String outcome, long deliveries) {}

  /**
   * One recorded event.
   *
   * @param readAt for an in-app delivery: when its item was read, null while it is not
   * @param outcome its delivery's outcome so far (only where the query reads it, else null)
   */
  record Event(
      long seq,
      String notificationId,
      String userId,
      String channel,
      String deliveryId,
      String status,
      boolean finalFailure,
      String reason,
      String provider,
      String providerMessageId,
      Integer attempt,
      Instant at,
      Instant readAt,
      String outcome) {}

  private final DatabaseClient db;

  ActivityRepository(DatabaseClient db) {
    this.db = db;
  }

  Mono<Request> request(String tenantId, String requestId) {
    return db.sql(REQUEST_COLUMNS + " WHERE r.tenant_id = :tenant AND r.request_id = :request")
        .bind("tenant", tenantId)
        .bind("request", requestId)
        .map(ActivityRepository::request)
        .one();
  }

  /** Requests newest first, after {@code (afterTime, afterId)} when given; by one sender or all. */
  Flux<Request> requests(
      String tenantId, String sender, Instant afterTime, String afterId, int limit) {
    StringBuilder sql = new StringBuilder(REQUEST_COLUMNS + " WHERE r.tenant_id = :tenant");
    if (sender != null) {
      sql.append(" AND r.requested_by = :sender");
    }
    if (afterTime != null) {
      sql.append(" AND (r.requested_at, r.request_id) < (:afterTime, :afterId)");
    }
    sql.append(" ORDER BY r.requested_at DESC, r.request_id DESC LIMIT :limit");
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(sql.toString()).bind("tenant", tenantId).bind("limit", limit);
    if (sender != null) {
      spec = spec.bind("sender", sender);
    }
    if (afterTime != null) {
      spec =
          spec.bind("afterTime", afterTime.atOffset(java.time.ZoneOffset.UTC))
              .bind("afterId", afterId);
    }
    return spec.map(ActivityRepository::request).all();
  }

  /** Each delivery of the request counted once, by channel and outcome. */
  Flux<OutcomeCount> outcomes(String tenantId, String requestId) {
    return db.sql(
            "SELECT channel, outcome, count(*) AS deliveries FROM ("
                + " SELECT DISTINCT ON (a.delivery_id) a.channel, "
                + OUTCOME
                + " AS outcome FROM "
                + requestEvents("")
                + IN_APP_ITEM
                + " ORDER BY a.delivery_id, "
                + RANK
                + " DESC, a.occurred_at DESC) d GROUP BY channel, outcome"
                + " ORDER BY channel, outcome")
        .bind("tenant", tenantId)
        .bind("request", requestId)
        .map(
            row ->
                new OutcomeCount(
                    row.get("channel", String.class),
                    row.get("outcome", String.class),
                    row.get("deliveries", Long.class)))
        .all();
  }

  Mono<Long> recipients(String tenantId, String requestId) {
    return db.sql(
            "SELECT count(DISTINCT user_id) AS n FROM delivery_activity"
                + " WHERE tenant_id = :tenant AND notification_id = :request")
        .bind("tenant", tenantId)
        .bind("request", requestId)
        .map(row -> row.get("n", Long.class))
        .one();
  }

  /** The next recipients of the request by user id, after {@code afterUser} when given. */
  Flux<String> recipientPage(String tenantId, String requestId, String afterUser, int limit) {
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(
                "SELECT DISTINCT user_id FROM delivery_activity"
                    + " WHERE tenant_id = :tenant AND notification_id = :request"
                    + (afterUser != null ? " AND user_id > :after" : "")
                    + " ORDER BY user_id LIMIT :limit")
            .bind("tenant", tenantId)
            .bind("request", requestId)
            .bind("limit", limit);
    if (afterUser != null) {
      spec = spec.bind("after", afterUser);
    }
    return spec.map(row -> row.get("user_id", String.class)).all();
  }

  /**
   * Every event of the request for these recipients, by recipient, channel and delivery, each with
   * its delivery's outcome (ranked as in {@link #outcomes}).
   */
  Flux<Event> eventsOf(String tenantId, String requestId, List<String> users) {
    return db.sql(
            "SELECT "
                + EVENT_COLUMNS
                + ", first_value("
                + OUTCOME
                + ") OVER (PARTITION BY a.delivery_id ORDER BY "
                + RANK
                + " DESC, a.occurred_at DESC) AS outcome"
                + " FROM "
                + requestEvents(" AND $user_id = ANY(:users)")
                + IN_APP_ITEM
                + " ORDER BY a.user_id, a.channel, a.delivery_id, a.occurred_at, a.seq")
        .bind("tenant", tenantId)
        .bind("request", requestId)
        .bind("users", users.toArray(String[]::new))
        .map(row -> event(row, true))
        .all();
  }

  /** A user's events across notifications, newest first, before {@code beforeSeq} when given. */
  Flux<Event> eventsFor(String tenantId, String userId, Long beforeSeq, int limit) {
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(
                "SELECT "
                    + EVENT_COLUMNS
                    + " FROM delivery_activity a "
                    + IN_APP_ITEM
                    + " WHERE a.tenant_id = :tenant AND a.user_id = :user"
                    + (beforeSeq != null ? " AND a.seq < :before" : "")
                    + " ORDER BY a.seq DESC LIMIT :limit")
            .bind("tenant", tenantId)
            .bind("user", userId)
            .bind("limit", limit);
    if (beforeSeq != null) {
      spec = spec.bind("before", beforeSeq);
    }
    return spec.map(row -> event(row, false)).all();
  }

  private static Request request(Readable row) {
    return new Request(
        row.get("request_id", String.class),
        row.get("requested_by", String.class),
        row.get("category", String.class),
        Arrays.asList(row.get("channels", String[].class)),
        row.get("requested_at", OffsetDateTime.class).toInstant(),
        instant(row.get("send_at", OffsetDateTime.class)),
        row.get("schedule_status", String.class),
        instant(row.get("schedule_done_at", OffsetDateTime.class)));
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }

  private static Event event(Readable row, boolean withOutcome) {
    OffsetDateTime readAt = row.get("read_at", OffsetDateTime.class);
    return new Event(
        row.get("seq", Long.class),
        row.get("notification_id", String.class),
        row.get("user_id", String.class),
        row.get("channel", String.class),
        row.get("delivery_id", String.class),
        row.get("status", String.class),
        Boolean.TRUE.equals(row.get("final", Boolean.class)),
        row.get("reason", String.class),
        row.get("provider", String.class),
        row.get("provider_message_id", String.class),
        row.get("attempt", Integer.class),
        row.get("occurred_at", OffsetDateTime.class).toInstant(),
        readAt == null ? null : readAt.toInstant(),
        withOutcome ? row.get("outcome", String.class) : null);
  }

  /** Rows deleted by one statement of {@link #forget}: each chunk is its own short transaction. */
  private static final int FORGET_CHUNK = 10_000;

  /**
   * Deletes the delivery activity that happened before {@code before}, the requests made before it
   * (unless still held for later) and the schedules that ended before it, a chunk at a time;
   * answers how many rows went.
   */
  Mono<Long> forget(Instant before) {
    return forgetChunks("delivery_activity", "occurred_at", "", before)
        .zipWith(
            forgetChunks(
                "notification_requests",
                "requested_at",
                // A request still held for later stays until it is sent or cancelled.
                " AND NOT EXISTS (SELECT 1 FROM scheduled_notifications s"
                    + " WHERE s.tenant_id = t.tenant_id AND s.request_id = t.request_id"
                    + " AND s.status = 'SCHEDULED')",
                before),
            Long::sum)
        .zipWith(
            forgetChunks(
                "scheduled_notifications", "done_at", " AND t.status <> 'SCHEDULED'", before),
            Long::sum);
  }

  private Mono<Long> forgetChunks(String table, String column, String also, Instant before) {
    Mono<Long> chunk =
        db.sql(
                "WITH gone AS (DELETE FROM "
                    + table
                    + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM "
                    + table
                    + " t WHERE t."
                    + column
                    + " < :before"
                    + also
                    + " LIMIT "
                    + FORGET_CHUNK
                    + ")) RETURNING 1) SELECT count(*) AS n FROM gone")
            .bind("before", before.atOffset(java.time.ZoneOffset.UTC))
            .map(row -> row.get("n", Long.class))
            .one();
    return chunk.expand(n -> n == FORGET_CHUNK ? chunk : Mono.empty()).reduce(0L, Long::sum);
  }
}
