package io.herald.notification.inbox;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
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
  public record Counts(long unread, long unseen, long total) {}

  /** A change to the user's items: which column, to what. */
  enum Mark {
    READ("read_at = :now", "read_at IS NULL"),
    UNREAD("read_at = NULL", "read_at IS NOT NULL"),
    ARCHIVE("archived_at = :now", "archived_at IS NULL"),
    UNARCHIVE("archived_at = NULL", "archived_at IS NOT NULL");

    final String set;
    final String unless;

    Mark(String set, String unless) {
      this.set = set;
      this.unless = unless;
    }
  }

  private final DatabaseClient db;
  private final JsonMapper json;

  public InboxRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** The user's items that are not archived, newest first. */
  public Flux<InboxItem> list(String tenantId, String userId, int limit) {
    return page(tenantId, userId, InboxFilter.of(null, false, null, null), null, limit);
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
    return db.sql(
            """
            SELECT count(*) FILTER (WHERE read_at IS NULL) AS unread,
                   count(*) FILTER (WHERE seen_at IS NULL) AS unseen,
                   count(*) AS total
              FROM inbox_items
             WHERE tenant_id = :tenant AND user_id = :user AND archived_at IS NULL
            """)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .map(
            row ->
                new Counts(
                    row.get("unread", Long.class),
                    row.get("unseen", Long.class),
                    row.get("total", Long.class)))
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

  /** Applies {@code mark} to those of the items it changes; returns them in their new state. */
  Flux<InboxItem> mark(
      String tenantId, String userId, Collection<UUID> ids, Mark mark, Instant now) {
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(
                "UPDATE inbox_items SET "
                    + mark.set
                    + " WHERE tenant_id = :tenant AND user_id = :user AND id = ANY(:ids) AND "
                    + mark.unless
                    + " RETURNING "
                    + COLUMNS)
            .bind("tenant", tenantId)
            .bind("user", userId)
            .bind("ids", ids.toArray(UUID[]::new));
    if (mark.set.contains(":now")) {
      spec = spec.bind("now", now.atOffset(ZoneOffset.UTC));
    }
    return spec.map(this::toItem).all();
  }

  /** Marks every unread item in the inbox read (of {@code category}, if given); their ids. */
  Flux<String> readAll(String tenantId, String userId, String category, Instant now) {
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(
                "UPDATE inbox_items SET read_at = :now WHERE tenant_id = :tenant AND user_id = :user"
                    + " AND read_at IS NULL AND archived_at IS NULL"
                    + (category == null ? "" : " AND category = :category")
                    + " RETURNING id")
            .bind("tenant", tenantId)
            .bind("user", userId)
            .bind("now", now.atOffset(ZoneOffset.UTC));
    if (category != null) {
      spec = spec.bind("category", category);
    }
    return spec.map(row -> row.get("id", UUID.class).toString()).all();
  }

  /** Marks every unseen item in the inbox created up to {@code now} seen; their ids. */
  Flux<String> seenAll(String tenantId, String userId, Instant now) {
    return db.sql(
            """
            UPDATE inbox_items SET seen_at = :now
             WHERE tenant_id = :tenant AND user_id = :user AND seen_at IS NULL
               AND archived_at IS NULL AND created_at <= :now
            RETURNING id
            """)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("now", now.atOffset(ZoneOffset.UTC))
        .map(row -> row.get("id", UUID.class).toString())
        .all();
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
