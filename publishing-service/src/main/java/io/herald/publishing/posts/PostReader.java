package io.herald.publishing.posts;

import io.herald.publishing.web.Where;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The API's reads of posts and their history. Every query is scoped to one tenant and to the brands
 * the caller may act for ({@code null} brands: all of the tenant's).
 */
@Repository
class PostReader {

  private static final String COLUMNS =
      "tenant_id, post_id, brand_id, author_id, body, media_urls, platforms, state, reason,"
          + " reviewed_by, version, created_at, updated_at";

  /** Where a page ends: the last post's {@code updated_at} and id. */
  record Cursor(Instant updatedAt, String postId) {}

  private final DatabaseClient db;

  PostReader(DatabaseClient db) {
    this.db = db;
  }

  Mono<Post> find(String tenantId, List<String> brands, String postId) {
    return findAll(tenantId, brands, List.of(postId)).next();
  }

  Flux<Post> findAll(String tenantId, List<String> brands, List<String> postIds) {
    Where where =
        new Where()
            .brands(brands, "brand_id")
            .condition("post_id = ANY(:posts)", Map.of("posts", postIds.toArray(String[]::new)));
    return where
        .bind(
            db.sql("SELECT " + COLUMNS + " FROM posts WHERE tenant_id = :tenant" + where.sql())
                .bind("tenant", tenantId))
        .map(PostReader::post)
        .all();
  }

  /** Newest changed first; {@code brandId} and {@code state} narrow the list when not null. */
  Flux<Post> page(
      String tenantId,
      List<String> brands,
      String brandId,
      PostState state,
      Cursor after,
      int limit) {
    Where where =
        new Where()
            .brands(brands, "brand_id")
            .eq("brand_id", "brand", brandId)
            .eq("state", "state", state == null ? null : state.wire());
    if (after != null) {
      where.condition(
          "(updated_at, post_id) < (:afterTime, :afterId)",
          Map.of(
              "afterTime", after.updatedAt().atOffset(ZoneOffset.UTC), "afterId", after.postId()));
    }
    return where
        .bind(
            db.sql(
                    "SELECT "
                        + COLUMNS
                        + " FROM posts WHERE tenant_id = :tenant"
                        + where.sql()
                        + " ORDER BY updated_at DESC, post_id DESC LIMIT :limit")
                .bind("tenant", tenantId)
                .bind("limit", limit))
        .map(PostReader::post)
        .all();
  }

  /** The post's history, oldest first. */
  Flux<PostHistoryEntry> history(String tenantId, String postId) {
    return db.sql(
            """
            SELECT event_id, tenant_id, post_id, type, actor, outcome, from_state, to_state, detail,
                   occurred_at
              FROM post_events
             WHERE tenant_id = :tenant AND post_id = :post
             ORDER BY recorded_at, event_id
            """)
        .bind("tenant", tenantId)
        .bind("post", postId)
        .map(
            row ->
                new PostHistoryEntry(
                    row.get("event_id", String.class),
                    row.get("tenant_id", String.class),
                    row.get("post_id", String.class),
                    row.get("type", String.class),
                    row.get("actor", String.class),
                    PostHistoryEntry.Outcome.valueOf(
                        row.get("outcome", String.class).toUpperCase(Locale.ROOT)),
                    state(row.get("from_state", String.class)),
                    state(row.get("to_state", String.class)),
                    row.get("detail", String.class),
                    row.get("occurred_at", OffsetDateTime.class).toInstant()))
        .all();
  }

  private static PostState state(String wire) {
    return wire == null ? null : PostState.fromWire(wire).orElse(null);
  }

  private static Post post(Readable row) {
    return new Post(
        row.get("tenant_id", String.class),
        row.get("post_id", String.class),
        row.get("brand_id", String.class),
        row.get("author_id", String.class),
        row.get("body", String.class),
        Arrays.asList(row.get("media_urls", String[].class)),
        Arrays.asList(row.get("platforms", String[].class)),
        state(row.get("state", String.class)),
        row.get("reason", String.class),
        row.get("reviewed_by", String.class),
        row.get("version", Integer.class),
        row.get("created_at", OffsetDateTime.class).toInstant(),
        row.get("updated_at", OffsetDateTime.class).toInstant());
  }
}
