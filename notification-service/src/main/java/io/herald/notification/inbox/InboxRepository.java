package io.herald.notification.inbox;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The in-app inbox table. Every query is scoped to one tenant and one user. */
@Repository
public class InboxRepository {

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private final DatabaseClient db;
  private final JsonMapper json;

  public InboxRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /**
   * Stores the item unless the user already has one for this notification.
   *
   * @return the new item, or empty when it already existed (a redelivered request)
   */
  public Mono<InboxItem> insertIfAbsent(
      String tenantId,
      String userId,
      String notificationId,
      String category,
      String title,
      String body,
      Map<String, String> data,
      Instant createdAt) {
    UUID id = UUID.randomUUID();
    return db.sql(
            """
            INSERT INTO inbox_items
                   (id, tenant_id, user_id, notification_id, category, title, body, data, created_at)
            VALUES (:id, :tenant, :user, :notification, :category, :title, :body, :data, :createdAt)
            ON CONFLICT ON CONSTRAINT inbox_items_once DO NOTHING
            RETURNING id
            """)
        .bind("id", id)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("notification", notificationId)
        .bind("category", category)
        .bind("title", title)
        .bind("body", body)
        .bind("data", Json.of(json.writeValueAsString(data)))
        .bind("createdAt", createdAt.atOffset(ZoneOffset.UTC))
        .map(row -> row.get("id", UUID.class))
        .one()
        .map(
            inserted ->
                new InboxItem(
                    inserted.toString(),
                    notificationId,
                    category,
                    title,
                    body,
                    data,
                    createdAt,
                    null));
  }

  /** The user's items that are not archived, newest first. */
  public Flux<InboxItem> list(String tenantId, String userId, int limit) {
    return db.sql(
            """
            SELECT id, notification_id, category, title, body, data, created_at, read_at
              FROM inbox_items
             WHERE tenant_id = :tenant AND user_id = :user AND archived_at IS NULL
             ORDER BY created_at DESC, id DESC
             LIMIT :limit
            """)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .bind("limit", limit)
        .map(this::toItem)
        .all();
  }

  private InboxItem toItem(Readable row) {
    OffsetDateTime readAt = row.get("read_at", OffsetDateTime.class);
    return new InboxItem(
        row.get("id", UUID.class).toString(),
        row.get("notification_id", String.class),
        row.get("category", String.class),
        row.get("title", String.class),
        row.get("body", String.class),
        json.readValue(row.get("data", Json.class).asString(), STRING_MAP),
        row.get("created_at", OffsetDateTime.class).toInstant(),
        readAt == null ? null : readAt.toInstant());
  }
}
