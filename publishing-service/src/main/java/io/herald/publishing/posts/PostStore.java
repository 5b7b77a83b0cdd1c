package io.herald.publishing.posts;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * The consumer's set-based statements on posts and their history: one read of the batch's posts,
 * one of the batch's already recorded event ids, one multi-row upsert of the changed posts and one
 * multi-row insert of the history entries (the connection rewrites batched inserts into multi-row
 * statements).
 */
@Component
public final class PostStore {

  /** A post's identity. */
  public record Key(String tenantId, String postId) {}

  private static final String SELECT_POSTS =
      """
      select p.tenant_id, p.post_id, p.brand_id, p.author_id, p.body, p.media_urls, p.platforms,
             p.state, p.reason, p.reviewed_by, p.version, p.created_at, p.updated_at
      from posts p
      join unnest(?::text[], ?::text[]) as k(tenant_id, post_id)
        on p.tenant_id = k.tenant_id and p.post_id = k.post_id
      """;

  private static final String UPSERT_POST =
      """
      insert into posts (tenant_id, post_id, brand_id, author_id, body, media_urls, platforms,
                         state, reason, reviewed_by, version, created_at, updated_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      on conflict (tenant_id, post_id) do update set
        body = excluded.body, media_urls = excluded.media_urls, platforms = excluded.platforms,
        state = excluded.state, reason = excluded.reason, reviewed_by = excluded.reviewed_by,
        version = excluded.version, updated_at = excluded.updated_at
      """;

  private static final String INSERT_ENTRY =
      """
      insert into post_events (event_id, tenant_id, post_id, type, actor, outcome, from_state,
                               to_state, detail, occurred_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      on conflict (event_id) do nothing
      """;

  public Map<Key, Post> load(Connection connection, Collection<Key> keys) throws SQLException {
    Map<Key, Post> posts = new HashMap<>();
    if (keys.isEmpty()) {
      return posts;
    }
    try (PreparedStatement select = connection.prepareStatement(SELECT_POSTS)) {
      select.setArray(
          1, connection.createArrayOf("text", keys.stream().map(Key::tenantId).toArray()));
      select.setArray(
          2, connection.createArrayOf("text", keys.stream().map(Key::postId).toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          Post post = post(rows);
          posts.put(new Key(post.tenantId(), post.postId()), post);
        }
      }
    }
    return posts;
  }

  /** The ids among {@code eventIds} that are already in a post's history. */
  Set<String> recorded(Connection connection, Collection<String> eventIds) throws SQLException {
    Set<String> seen = new HashSet<>();
    if (eventIds.isEmpty()) {
      return seen;
    }
    try (PreparedStatement select =
        connection.prepareStatement("select event_id from post_events where event_id = any(?)")) {
      select.setArray(1, connection.createArrayOf("text", eventIds.toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          seen.add(rows.getString(1));
        }
      }
    }
    return seen;
  }

  public void save(Connection connection, Collection<Post> posts) throws SQLException {
    if (posts.isEmpty()) {
      return;
    }
    try (PreparedStatement upsert = connection.prepareStatement(UPSERT_POST)) {
      for (Post p : posts) {
        upsert.setString(1, p.tenantId());
        upsert.setString(2, p.postId());
        upsert.setString(3, p.brandId());
        upsert.setString(4, p.authorId());
        upsert.setString(5, p.text());
        upsert.setArray(6, connection.createArrayOf("text", p.mediaUrls().toArray()));
        upsert.setArray(7, connection.createArrayOf("text", p.platforms().toArray()));
        upsert.setString(8, p.state().wire());
        upsert.setString(9, p.reason());
        upsert.setString(10, p.reviewedBy());
        upsert.setInt(11, p.version());
        upsert.setTimestamp(12, Timestamp.from(p.createdAt()));
        upsert.setTimestamp(13, Timestamp.from(p.updatedAt()));
        upsert.addBatch();
      }
      upsert.executeBatch();
    }
  }

  public void record(Connection connection, Collection<PostHistoryEntry> entries)
      throws SQLException {
    if (entries.isEmpty()) {
      return;
    }
    try (PreparedStatement insert = connection.prepareStatement(INSERT_ENTRY)) {
      for (PostHistoryEntry e : entries) {
        insert.setString(1, e.eventId());
        insert.setString(2, e.tenantId());
        insert.setString(3, e.postId());
        insert.setString(4, e.type());
        insert.setString(5, e.actor());
        insert.setString(6, e.outcome().wire());
        insert.setString(7, e.fromState() == null ? null : e.fromState().wire());
        insert.setString(8, e.toState() == null ? null : e.toState().wire());
        insert.setString(9, e.detail());
        insert.setTimestamp(10, Timestamp.from(e.occurredAt()));
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  private static Post post(ResultSet row) throws SQLException {
    return new Post(
        row.getString("tenant_id"),
        row.getString("post_id"),
        row.getString("brand_id"),
        row.getString("author_id"),
        row.getString("body"),
        strings(row.getArray("media_urls")),
        strings(row.getArray("platforms")),
        state(row.getString("state")),
        row.getString("reason"),
        row.getString("reviewed_by"),
        row.getInt("version"),
        row.getTimestamp("created_at").toInstant(),
        row.getTimestamp("updated_at").toInstant());
  }

  private static PostState state(String wire) throws SQLException {
    return PostState.fromWire(wire)
        .orElseThrow(() -> new SQLException("unknown post state " + wire));
  }

  private static List<String> strings(Array array) throws SQLException {
    return Arrays.asList((String[]) array.getArray());
  }
}
