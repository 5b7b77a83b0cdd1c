package io.herald.notification.inbox;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The in-app inbox table. Every statement is scoped to one tenant and one user, and each call is
 * one statement (a mark is a single multi-row update, whatever the number of items).
 */
@Repository
public class InboxRepository {

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final String COLUMNS =
      "id, notification_id, category, title, body, data, created_at, read_at, seen_at, archived_at";

  /** The user's item counts: unread and unseen (the badge) among the items not archived. */
  public record Counts(long unread, long unseen, long total) {

    /** The counts once one more item is stored: a new item is unread, unseen and not archived. */
    Counts withNewItem() {
      return new Counts(unread + 1, unseen + 1, total + 1);
    }
  }

  /**
   * Counts as of a number of the user's sequence: they reflect every change up to {@code seq} and
   * none after it (0 before the user's first change).
   */
  record CountsAt(Counts counts, long seq) {}

  /** A change to the user's items: which column, to what. */
  enum Mark {
    READ("read_at = :now", "read_at IS NULL", "read"),
    UNREAD("read_at = NULL", "read_at IS NOT NULL", "unread"),
    ARCHIVE("archived_at = :now", "archived_at IS NULL", "archived"),
    UNARCHIVE("archived_at = NULL", "archived_at IS NOT NULL", "unarchived");

    final String set;
    final String unless;
    final String kind;

    Mark(String set, String unless, String kind) {
      this.set = set;
      this.unless = unless;
      this.kind = kind;
    }
  }

  private final DatabaseClient db;
  private final JsonMapper json;

  public InboxRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** One page of the user's items, newest first, after {@code cursor} (null: from the newest). */
  Flux<InboxItem> page(
      String tenantId, String userId, InboxFilter filter, InboxCursor cursor, int limit) {
    StringBuilder sql =
        new StringBuilder("SELECT " + COLUMNS + " FROM inbox_items")
            .append(" WHERE tenant_id = :tenant AND user_id = :user AND archived_at IS ")
            .append(filter.archived() ? "NOT NULL" : "NULL");
    if (filter.status().equals("unread")) {
      sql.append(" AND read_at IS NULL");
    } else if (filter.status().equals("read")) {
      sql.append(" AND read_at IS NOT NULL");
    }
    if (filter.seen() != null) {
      sql.append(filter.seen() ? " AND seen_at IS NOT NULL" : " AND seen_at IS NULL");
    }
    if (filter.category() != null) {
      sql.append(" AND category = :category");
    }
    if (cursor != null) {
      sql.append(" AND (created_at, id) < (:afterTime, :afterId)");
    }
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT :limit");
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(sql.toString()).bind("tenant", tenantId).bind("user", userId).bind("limit", limit);
    if (filter.category() != null) {
      spec = spec.bind("category", filter.category());
    }
    if (cursor != null) {
      spec =
          spec.bind("afterTime", cursor.createdAt().atOffset(ZoneOffset.UTC))
              .bind("afterId", cursor.id());
    }
    return spec.map(this::toItem).all();
  }

  Mono<Counts> counts(String tenantId, String userId) {
    return countsAt(tenantId, userId).map(CountsAt::counts);
  }

  /**
   * The counts together with the last number of the user's sequence, read in one statement and so
   * from one snapshot: a change takes its number in the transaction that makes it.
   */
  Mono<CountsAt> countsAt(String tenantId, String userId) {
    return db.sql(
            """
            SELECT count(*) FILTER (WHERE read_at IS NULL) AS unread,
                   count(*) FILTER (WHERE seen_at IS NULL) AS unseen,
                   count(*) AS total,
                   (SELECT last_seq FROM inbox_sequences
                     WHERE tenant_id = :tenant AND user_id = :user) AS seq
              FROM inbox_items
             WHERE tenant_id = :tenant AND user_id = :user AND archived_at IS NULL
            """)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .map(
            row -> {
              Long seq = row.get("seq", Long.class);
              return new CountsAt(
                  new Counts(
                      row.get("unread", Long.class),
                      row.get("unseen", Long.class),
                      row.get("total", Long.class)),
                  seq == null ? 0 : seq);
            })
        .one();
  }

  /** The user's items among {@code ids}; another user's or tenant's are not among them. */
  Flux<InboxItem> find(String tenantId, String userId, Collection<UUID> ids) {
    return db.sql(
            "SELECT "
                + COLUMNS
                + " FROM inbox_items WHERE tenant_id = :tenant AND user_id = :user"
                + " AND id = ANY(:ids)")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("ids", ids.toArray(UUID[]::new))
        .map(this::toItem)
        .all();
  }

  /** What a change did: the items it changed (in their new state) and its sequence number. */
  record Applied(List<InboxItem> items, long seq) {}

  /** What a mark of all items did: the ids it changed and its sequence number. */
  record AppliedIds(List<String> ids, long seq) {}

  /**
   * Takes the user's next sequence number, locking their sequence until the transaction ends, so
   * that their changes become visible in number order.
   */
  private static final String NEXT_SEQ =
      """
      seq AS (
        INSERT INTO inbox_sequences (tenant_id, user_id, last_seq) VALUES (:tenant, :user, 1)
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET last_seq = inbox_sequences.last_seq + 1
        RETURNING last_seq)
      """;

  /** Records the change for streams that resume, when it changed anything. */
  private static final String LOG =
      """
      logged AS (
        INSERT INTO inbox_changes (tenant_id, user_id, seq, kind, item_ids, seen_up_to, at)
        SELECT :tenant, :user, (SELECT last_seq FROM seq), :kind, array_agg(id), %s, :now
          FROM changed HAVING count(*) > 0)
      """;

  /**
   * Reading an item stops the rest of the fallback chains of its request for the reader (a
   * data-modifying part of the statement that marks the items read).
   */
  private static final String STOP_FALLBACKS =
      """
      , stopped AS (
        UPDATE scheduled_notifications s
           SET status = 'CANCELLED', done_at = now(), cancelled_by = 'read'
          FROM changed
         WHERE s.tenant_id = :tenant AND s.request_id = changed.notification_id
           AND s.status = 'SCHEDULED'
           AND s.part IN ('fallback|' || :user || '|EMAIL', 'fallback|' || :user || '|WHATSAPP',
                          'fallback|' || :user || '|PUSH'))
      """;

  /**
   * Applies {@code mark} to those of the items it changes, in one statement that also takes the
   * user's next sequence number and records the change; returns the changed items in their new
   * state.
   */
  Mono<Applied> mark(String tenantId, String userId, Collection<UUID> ids, Mark mark, Instant now) {
    String sql =
        "WITH "
            + NEXT_SEQ
            + ", changed AS (UPDATE inbox_items SET "
            + mark.set.replace(":now", "CAST(:now AS timestamptz)")
            + " WHERE tenant_id = :tenant AND user_id = :user AND id = ANY(:ids) AND "
            + mark.unless
            + " RETURNING "
            + COLUMNS
            + "), "
            + LOG.formatted("CAST(NULL AS timestamptz)")
            + (mark == Mark.READ ? STOP_FALLBACKS : "")
            + " SELECT changed.*, (SELECT last_seq FROM seq) AS change_seq FROM changed";
    return db.sql(sql)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("ids", ids.toArray(UUID[]::new))
        .bind("now", now.atOffset(ZoneOffset.UTC))
        .bind("kind", mark.kind)
        .map(row -> new Changed<>(toItem(row), row.get("change_seq", Long.class)))
        .all()
        .collectList()
        .map(rows -> new Applied(values(rows), seq(rows)));
  }

  /** Marks every unread item in the inbox read (of {@code category}, if given). */
  Mono<AppliedIds> readAll(String tenantId, String userId, String category, Instant now) {
    String sql =
        "WITH "
            + NEXT_SEQ
            + ", changed AS (UPDATE inbox_items SET read_at = :now WHERE tenant_id = :tenant"
            + " AND user_id = :user AND read_at IS NULL AND archived_at IS NULL"
            + (category == null ? "" : " AND category = :category")
            + " RETURNING id, notification_id), "
            + LOG.formatted("CAST(NULL AS timestamptz)")
            + STOP_FALLBACKS
            + " SELECT id, (SELECT last_seq FROM seq) AS change_seq FROM changed";
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(sql)
            .bind("tenant", tenantId)
            .bind("user", userId)
            .bind("now", now.atOffset(ZoneOffset.UTC))
            .bind("kind", Mark.READ.kind);
    if (category != null) {
      spec = spec.bind("category", category);
    }
    return ids(spec);
  }

  /** Marks every unseen item in the inbox created up to {@code now} seen. */
  Mono<AppliedIds> seenAll(String tenantId, String userId, Instant now) {
    String sql =
        "WITH "
            + NEXT_SEQ
            + ", changed AS (UPDATE inbox_items SET seen_at = :now WHERE tenant_id = :tenant"
            + " AND user_id = :user AND seen_at IS NULL AND archived_at IS NULL"
            + " AND created_at <= :now RETURNING id), "
            + LOG.formatted(":now")
            + " SELECT id, (SELECT last_seq FROM seq) AS change_seq FROM changed";
    return ids(
        db.sql(sql)
            .bind("tenant", tenantId)
            .bind("user", userId)
            .bind("now", now.atOffset(ZoneOffset.UTC))
            .bind("kind", "seen"));
  }

  private Mono<AppliedIds> ids(DatabaseClient.GenericExecuteSpec spec) {
    return spec.map(
            row ->
                new Changed<>(
                    row.get("id", UUID.class).toString(), row.get("change_seq", Long.class)))
        .all()
        .collectList()
        .map(rows -> new AppliedIds(values(rows), seq(rows)));
  }

  /** A row a change statement returns: what changed, and the change's sequence number. */
  private record Changed<T>(T value, long seq) {}

  private static <T> List<T> values(List<Changed<T>> rows) {
    return rows.stream().map(Changed::value).toList();
  }

  /** Every row of one statement carries the same number; 0 when nothing changed. */
  private static long seq(List<? extends Changed<?>> rows) {
    return rows.isEmpty() ? 0 : rows.get(0).seq();
  }

  /** One change of the user's inbox, as a stream that resumes replays it. */
  record Replayed(
      long seq, String kind, InboxItem item, List<String> itemIds, Instant at, Instant seenUpTo) {}

  /**
   * The user's changes after {@code afterSeq}, in sequence order, at most {@code limit}: created
   * items (with their content) and the other changes.
   */
  Flux<Replayed> changesAfter(String tenantId, String userId, long afterSeq, int limit) {
    return db.sql(
            "SELECT seq, 'created' AS kind, "
                + COLUMNS
                + ", CAST(NULL AS uuid[]) AS item_ids, created_at AS at,"
                + " CAST(NULL AS timestamptz) AS seen_up_to"
                + " FROM inbox_items WHERE tenant_id = :tenant AND user_id = :user AND seq > :after"
                + " UNION ALL"
                + " SELECT seq, kind, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS jsonb), NULL, NULL,"
                + " NULL, NULL, item_ids, at, seen_up_to"
                + " FROM inbox_changes WHERE tenant_id = :tenant AND user_id = :user AND seq > :after"
                + " ORDER BY seq LIMIT :limit")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("after", afterSeq)
        .bind("limit", limit)
        .map(
            row -> {
              String kind = row.get("kind", String.class);
              UUID[] itemIds = row.get("item_ids", UUID[].class);
              return new Replayed(
                  row.get("seq", Long.class),
                  kind,
                  "created".equals(kind) ? toItem(row) : null,
                  itemIds == null
                      ? List.of()
                      : java.util.Arrays.stream(itemIds).map(UUID::toString).toList(),
                  instant(row, "at"),
                  instant(row, "seen_up_to"));
            })
        .all();
  }

  /**
   * Forgets changes older than {@code before}, and remembers per user up to which number, so that a
   * stream resuming from before then is told to reload rather than miss them. One statement.
   */
  Mono<Long> forgetChanges(Instant before) {
    return db.sql(
            """
            WITH gone AS (DELETE FROM inbox_changes WHERE at < :before
                          RETURNING tenant_id, user_id, seq)
            UPDATE inbox_sequences s SET forgotten_up_to = GREATEST(s.forgotten_up_to, g.up_to)
              FROM (SELECT tenant_id, user_id, max(seq) AS up_to FROM gone
                     GROUP BY tenant_id, user_id) g
             WHERE s.tenant_id = g.tenant_id AND s.user_id = g.user_id
            """)
        .bind("before", before.atOffset(ZoneOffset.UTC))
        .fetch()
        .rowsUpdated();
  }

  /** Up to which number the user's changes were forgotten; 0 when none were. */
  Mono<Long> forgottenUpTo(String tenantId, String userId) {
    return db.sql(
            "SELECT forgotten_up_to FROM inbox_sequences WHERE tenant_id = :tenant AND user_id = :user")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .map(row -> row.get("forgotten_up_to", Long.class))
        .one()
        .defaultIfEmpty(0L);
  }

  private InboxItem toItem(Readable row) {
    return new InboxItem(
        row.get("id", UUID.class).toString(),
        row.get("notification_id", String.class),
        row.get("category", String.class),
        row.get("title", String.class),
        row.get("body", String.class),
        json.readValue(row.get("data", Json.class).asString(), STRING_MAP),
        instant(row, "created_at"),
        instant(row, "read_at"),
        instant(row, "seen_at"),
        instant(row, "archived_at"));
  }

  private static Instant instant(Readable row, String column) {
    OffsetDateTime value = row.get(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }
}
