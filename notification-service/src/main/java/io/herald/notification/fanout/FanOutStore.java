package io.herald.notification.fanout;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fan-out's inbox writes: one multi-row statement per batch for inbox items (and one for their
 * users' sequence numbers), whatever the batch's size.
 */
class FanOutStore {

  /**
   * Inserts the items that do not exist yet. An item that exists is returned too when the same
   * source record created it: that record is being processed again because its earlier attempt
   * stored the item but never committed its events, which must be published now.
   */
  private static final String INSERT_INBOX_ITEMS =
      """
      INSERT INTO inbox_items (id, tenant_id, user_id, notification_id, category, title, body,
                               data, action_url, created_at, created_by, seq)
      SELECT id, tenant_id, user_id, notification_id, category, title, body,
             data::jsonb, action_url, ?, created_by, seq
        FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                    ?::text[], ?::text[], ?::text[], ?::text[])
             AS t(id, seq, tenant_id, user_id, notification_id, category, title, body, data,
                  action_url, created_by)
      ON CONFLICT ON CONSTRAINT inbox_items_once DO UPDATE SET created_by = EXCLUDED.created_by
       WHERE inbox_items.created_by = EXCLUDED.created_by
      RETURNING id, created_at, xmax = 0 AS inserted, seq
      """;

  /**
   * Takes each user's next numbers of their inbox sequence, as many as the batch has items for
   * them: one statement. Rows are locked in (tenant, user) order, so two batches never deadlock,
   * and held until the batch commits, so a user's changes become visible in number order.
   */
  private static final String ALLOCATE_SEQUENCES =
      """
      INSERT INTO inbox_sequences (tenant_id, user_id, last_seq)
      SELECT tenant_id, user_id, n
        FROM unnest(?::text[], ?::text[], ?::bigint[]) AS t(tenant_id, user_id, n)
       ORDER BY tenant_id, user_id
      ON CONFLICT (tenant_id, user_id)
        DO UPDATE SET last_seq = inbox_sequences.last_seq + EXCLUDED.last_seq
      RETURNING tenant_id, user_id, last_seq
      """;

  private final JsonMapper json;

  FanOutStore(JsonMapper json) {
    this.json = json;
  }

  /**
   * @return the items to announce with their stored creation time, by item id, and how many of them
   *     an earlier attempt had stored
   */
  Announcements insertInboxItems(Connection connection, Collection<NewInboxItem> items, Instant now)
      throws SQLException {
    Map<UUID, Stored> announce = new HashMap<>();
    int storedEarlier = 0;
    if (items.isEmpty()) {
      return new Announcements(announce, 0);
    }
    Map<UUID, Long> sequence = allocate(connection, items);
    int size = items.size();
    UUID[] ids = new UUID[size];
    Long[] seqs = new Long[size];
    List<List<String>> columns = new ArrayList<>();
    for (int c = 0; c < 9; c++) {
      columns.add(new ArrayList<>(size));
    }
    int i = 0;
    for (NewInboxItem item : items) {
      seqs[i] = sequence.get(item.id());
      ids[i++] = item.id();
      columns.get(0).add(item.tenantId());
      columns.get(1).add(item.userId());
      columns.get(2).add(item.notificationId());
      columns.get(3).add(item.category());
      columns.get(4).add(item.title());
      columns.get(5).add(item.body());
      columns.get(6).add(json.writeValueAsString(item.data()));
      columns.get(7).add(item.actionUrl());
      columns.get(8).add(item.createdBy());
    }
    try (PreparedStatement statement = connection.prepareStatement(INSERT_INBOX_ITEMS)) {
      statement.setObject(1, now.atOffset(ZoneOffset.UTC));
      statement.setArray(2, connection.createArrayOf("uuid", ids));
      statement.setArray(3, connection.createArrayOf("bigint", seqs));
      for (int c = 0; c < columns.size(); c++) {
        statement.setArray(4 + c, connection.createArrayOf("text", columns.get(c).toArray()));
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          Long seq = rows.getObject(4, Long.class);
          announce.put(
              rows.getObject(1, UUID.class),
              new Stored(rows.getObject(2, OffsetDateTime.class).toInstant(), seq));
          if (!rows.getBoolean(3)) {
            storedEarlier++;
          }
        }
      }
    }
    return new Announcements(announce, storedEarlier);
  }

  /** Each item's number in its user's inbox sequence (in item order within a user). */
  private static Map<UUID, Long> allocate(Connection connection, Collection<NewInboxItem> items)
      throws SQLException {
    Map<List<String>, List<UUID>> byUser =
        new java.util.TreeMap<>(
            java.util.Comparator.<List<String>, String>comparing(k -> k.get(0))
                .thenComparing(k -> k.get(1)));
    for (NewInboxItem item : items) {
      byUser
          .computeIfAbsent(List.of(item.tenantId(), item.userId()), k -> new ArrayList<>())
          .add(item.id());
    }
    String[] tenants = new String[byUser.size()];
    String[] users = new String[byUser.size()];
    Long[] counts = new Long[byUser.size()];
    int i = 0;
    for (Map.Entry<List<String>, List<UUID>> e : byUser.entrySet()) {
      tenants[i] = e.getKey().get(0);
      users[i] = e.getKey().get(1);
      counts[i++] = (long) e.getValue().size();
    }
    Map<UUID, Long> sequence = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(ALLOCATE_SEQUENCES)) {
      statement.setArray(1, connection.createArrayOf("text", tenants));
      statement.setArray(2, connection.createArrayOf("text", users));
      statement.setArray(3, connection.createArrayOf("bigint", counts));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          List<UUID> mine = byUser.get(List.of(rows.getString(1), rows.getString(2)));
          long first = rows.getLong(3) - mine.size() + 1;
          for (int k = 0; k < mine.size(); k++) {
            sequence.put(mine.get(k), first + k);
          }
        }
      }
    }
    return sequence;
  }

  /** An item as stored: its creation time and its number in the user's inbox sequence. */
  record Stored(Instant createdAt, Long seq) {}

  /**
   * Inbox items to publish {@code InboxItemCreated} for; {@code storedEarlier} of them were stored
   * by an attempt of the same records whose Kafka transaction never committed.
   */
  record Announcements(Map<UUID, Stored> items, int storedEarlier) {}

  /** An inbox item to store; its id is derived from tenant, notification and user. */
  record NewInboxItem(
      UUID id,
      String tenantId,
      String userId,
      String notificationId,
      String category,
      String title,
      String body,
      Map<String, String> data,
      String actionUrl,
      String createdBy) {}
}
