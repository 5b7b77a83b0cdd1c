package io.herald.notification.inbox;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
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
