package io.herald.notification.digests;

import io.herald.events.v1.Channel;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * The digest tables, each operation one statement over a whole batch: the fan-out {@link #collect
 * collects} items and schedules their digest in its batch's transaction; {@link DigestRunner}
 * {@link #claim claims} due digests, reads their {@link #items}, {@link #record records} what it
 * sends, {@link #consume consumes} the items and {@link #reschedule reschedules} what is left.
 */
@Component
public class DigestStore {

  private static final String COLLECT =
      """
      INSERT INTO digest_items (tenant_id, user_id, frequency, notification_id, category,
                                channels, title, body, link, created_at)
      SELECT v.tenant_id, v.user_id, v.frequency, v.notification_id, v.category,
             string_to_array(v.channels, ','), v.title, v.body, v.link, v.created_at
        FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                    ?::text[], ?::text[], ?::timestamptz[])
             AS v(tenant_id, user_id, frequency, notification_id, category, channels, title, body,
                  link, created_at)
      ON CONFLICT (tenant_id, user_id, frequency, notification_id) DO NOTHING
      """;

  // DO UPDATE (not NOTHING) takes the row's lock: a runner that has claimed the row finishes
  // first, and if it removed the row (no items left that it could see), this inserts it again,
  // so an item stored while a digest was being sent is never left without a schedule.
  private static final String SCHEDULE =
      """
      INSERT INTO digest_schedule (tenant_id, user_id, frequency, due_at)
      SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[])
               AS v(tenant_id, user_id, frequency, due_at)
      ON CONFLICT (tenant_id, user_id, frequency) DO UPDATE SET due_at = digest_schedule.due_at
      """;

  private static final String CLAIM =
      """
      SELECT tenant_id, user_id, frequency, due_at FROM digest_schedule
       WHERE due_at <= ?
       ORDER BY due_at
       LIMIT ?
         FOR UPDATE SKIP LOCKED
      """;

  private static final String ITEMS =
      """
      SELECT i.tenant_id, i.user_id, i.frequency, i.notification_id, i.category,
             array_to_string(i.channels, ','), i.title, i.body, i.link, i.created_at,
             x.read_at IS NOT NULL OR x.archived_at IS NOT NULL
        FROM unnest(?::text[], ?::text[], ?::text[]) AS k(tenant_id, user_id, frequency)
        JOIN digest_items i
          ON i.tenant_id = k.tenant_id AND i.user_id = k.user_id AND i.frequency = k.frequency
        LEFT JOIN inbox_items x
          ON x.tenant_id = i.tenant_id AND x.user_id = i.user_id
         AND x.notification_id = i.notification_id
       ORDER BY i.tenant_id, i.user_id, i.frequency, i.created_at, i.notification_id
      """;

  private static final String SETTINGS =
      """
      SELECT k.tenant_id, k.user_id, s.user_id, s.send_time, s.weekday, s.channels
        FROM (SELECT DISTINCT * FROM unnest(?::text[], ?::text[]) AS k(tenant_id, user_id)) k
        JOIN digest_settings s ON s.tenant_id = k.tenant_id AND s.user_id IN (k.user_id, '*')
      """;

  private static final String RECORD =
      """
      INSERT INTO digests (tenant_id, user_id, frequency, period, digest_id, items,
                           notification_ids, due_at, sent_at)
      SELECT v.tenant_id, v.user_id, v.frequency, v.period, v.digest_id, v.items,
             string_to_array(v.ids, chr(31)), v.due_at, v.sent_at
        FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::uuid[], ?::int[], ?::text[],
                    ?::timestamptz[], ?::timestamptz[])
             AS v(tenant_id, user_id, frequency, period, digest_id, items, ids, due_at, sent_at)
      ON CONFLICT (tenant_id, user_id, frequency, period) DO NOTHING
      RETURNING digest_id
      """;

  private static final String CONSUME =
      """
      DELETE FROM digest_items i
       USING unnest(?::text[], ?::text[], ?::text[], ?::text[])
             AS d(tenant_id, user_id, frequency, notification_id)
       WHERE i.tenant_id = d.tenant_id AND i.user_id = d.user_id AND i.frequency = d.frequency
         AND i.notification_id = d.notification_id
      """;

  private static final String RESCHEDULE =
      """
      UPDATE digest_schedule s SET due_at = v.due_at
        FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[])
             AS v(tenant_id, user_id, frequency, due_at)
       WHERE s.tenant_id = v.tenant_id AND s.user_id = v.user_id AND s.frequency = v.frequency
      """;

  private static final String FORGET_EMPTY =
      """
      DELETE FROM digest_schedule s
       USING unnest(?::text[], ?::text[], ?::text[]) AS v(tenant_id, user_id, frequency)
       WHERE s.tenant_id = v.tenant_id AND s.user_id = v.user_id AND s.frequency = v.frequency
         AND NOT EXISTS (SELECT 1 FROM digest_items i
                          WHERE i.tenant_id = s.tenant_id AND i.user_id = s.user_id
                            AND i.frequency = s.frequency)
      """;

  /** The digest of one user and frequency: the unit the schedule and the runner work in. */
  public record Key(String tenantId, String userId, DigestFrequency frequency) {}

  /** A notification waiting for a digest; {@code read} when its inbox item was read or archived. */
  public record Item(
      Key key,
      String notificationId,
      String category,
      Set<Channel> channels,
      String title,
      String body,
      String link,
      Instant createdAt,
      boolean read) {}

  /** A digest that has become due. */
  public record Due(Key key, Instant dueAt) {}

  /** A digest about to be sent, with the notifications it carries. */
  public record Sent(
      Key key, String period, UUID digestId, List<String> notificationIds, Instant dueAt) {

    public int items() {
      return notificationIds.size();
    }
  }

  /**
   * Stores items (a repeat of one already waiting adds nothing) and makes sure each key has a
   * digest scheduled: at {@code dueAt}, or when it was already due.
   */
  public void collect(Connection connection, Collection<Item> items, Map<Key, Instant> dueAt)
      throws SQLException {
    if (items.isEmpty()) {
      return;
    }
    try (PreparedStatement s = connection.prepareStatement(COLLECT)) {
      s.setArray(1, texts(connection, items.stream().map(i -> i.key().tenantId())));
      s.setArray(2, texts(connection, items.stream().map(i -> i.key().userId())));
      s.setArray(3, texts(connection, items.stream().map(i -> i.key().frequency().name())));
      s.setArray(4, texts(connection, items.stream().map(Item::notificationId)));
      s.setArray(5, texts(connection, items.stream().map(Item::category)));
      s.setArray(
          6,
          texts(
              connection,
              items.stream()
                  .map(
                      i ->
                          String.join(
                              ",", i.channels().stream().map(Channel::name).sorted().toList()))));
      s.setArray(7, texts(connection, items.stream().map(Item::title)));
      s.setArray(8, texts(connection, items.stream().map(Item::body)));
      s.setArray(9, texts(connection, items.stream().map(Item::link)));
      s.setArray(
          10,
          connection.createArrayOf(
              "timestamptz", items.stream().map(i -> Timestamp.from(i.createdAt())).toArray()));
      s.executeUpdate();
    }
    // In one order everywhere, so two batches scheduling the same users never deadlock.
    List<Map.Entry<Key, Instant>> sorted =
        dueAt.entrySet().stream()
            .sorted(
                Comparator.comparing((Map.Entry<Key, Instant> e) -> e.getKey().tenantId())
                    .thenComparing(e -> e.getKey().userId())
                    .thenComparing(e -> e.getKey().frequency()))
            .toList();
    try (PreparedStatement s = connection.prepareStatement(SCHEDULE)) {
      s.setArray(1, texts(connection, sorted.stream().map(e -> e.getKey().tenantId())));
      s.setArray(2, texts(connection, sorted.stream().map(e -> e.getKey().userId())));
      s.setArray(3, texts(connection, sorted.stream().map(e -> e.getKey().frequency().name())));
      s.setArray(
          4,
          connection.createArrayOf(
              "timestamptz", sorted.stream().map(e -> Timestamp.from(e.getValue())).toArray()));
      s.executeUpdate();
    }
  }

  /**
   * Claims up to {@code limit} digests due at {@code now}, earliest first, locked until the
   * transaction ends; rows another runner holds are skipped.
   */
  public List<Due> claim(Connection connection, Instant now, int limit) throws SQLException {
    List<Due> due = new ArrayList<>();
    try (PreparedStatement s = connection.prepareStatement(CLAIM)) {
      s.setTimestamp(1, Timestamp.from(now));
      s.setInt(2, limit);
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          DigestFrequency f = DigestFrequency.parse(rows.getString(3)).orElse(null);
          if (f != null) {
            due.add(
                new Due(
                    new Key(rows.getString(1), rows.getString(2), f),
                    rows.getTimestamp(4).toInstant()));
          }
        }
      }
    }
    return due;
  }

  /** The items waiting for each key, oldest first. */
  public Map<Key, List<Item>> items(Connection connection, Collection<Key> keys)
      throws SQLException {
    Map<Key, List<Item>> items = new HashMap<>();
    try (PreparedStatement s = connection.prepareStatement(ITEMS)) {
      s.setArray(1, texts(connection, keys.stream().map(Key::tenantId)));
      s.setArray(2, texts(connection, keys.stream().map(Key::userId)));
      s.setArray(3, texts(connection, keys.stream().map(k -> k.frequency().name())));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          Key key =
              new Key(
                  rows.getString(1), rows.getString(2), DigestFrequency.valueOf(rows.getString(3)));
          Set<Channel> channels = EnumSet.noneOf(Channel.class);
          for (String c : rows.getString(6).split(",")) {
            if (!c.isEmpty()) {
              channels.add(Channel.valueOf(c));
            }
          }
          items
              .computeIfAbsent(key, k -> new ArrayList<>())
              .add(
                  new Item(
                      key,
                      rows.getString(4),
                      rows.getString(5),
                      channels,
                      rows.getString(7),
                      rows.getString(8),
                      rows.getString(9),
                      rows.getTimestamp(10).toInstant(),
                      rows.getBoolean(11)));
        }
      }
    }
    return items;
  }

  /**
   * The digest settings of the users (tenant and user id pairs): their own, else their tenant's;
   * absent means the defaults. Keyed by the pair.
   */
  public Map<List<String>, DigestSettings> settings(
      Connection connection, Collection<List<String>> tenantAndUser) throws SQLException {
    Map<List<String>, DigestSettings> own = new HashMap<>();
    Map<List<String>, DigestSettings> tenant = new HashMap<>();
    try (PreparedStatement s = connection.prepareStatement(SETTINGS)) {
      s.setArray(1, texts(connection, tenantAndUser.stream().map(k -> k.get(0))));
      s.setArray(2, texts(connection, tenantAndUser.stream().map(k -> k.get(1))));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          List<String> key = List.of(rows.getString(1), rows.getString(2));
          DigestSettings settings = settingsOf(rows);
          (rows.getString(3).equals(key.get(1)) ? own : tenant).put(key, settings);
        }
      }
    }
    Map<List<String>, DigestSettings> effective = new LinkedHashMap<>(tenant);
    effective.putAll(own);
    return effective;
  }

  /** The {@code send_time}, {@code weekday} and {@code channels} in columns 4 to 6 of the row. */
  private static DigestSettings settingsOf(ResultSet rows) throws SQLException {
    Set<Channel> channels = EnumSet.noneOf(Channel.class);
    for (Object c : (Object[]) rows.getArray(6).getArray()) {
      try {
        channels.add(Channel.valueOf(String.valueOf(c)));
      } catch (IllegalArgumentException e) {
        // a channel this version does not know collects nothing
      }
    }
    return new DigestSettings(
        rows.getObject(4, java.time.LocalTime.class),
        java.time.DayOfWeek.of(rows.getInt(5)),
        channels);
  }

  /**
   * Records the digests; answers the ids of those recorded now. One whose user, frequency and
   * period already has a digest is not recorded again, and must not be sent.
   */
  public Set<UUID> record(Connection connection, List<Sent> sent, Instant at) throws SQLException {
    Set<UUID> recorded = new HashSet<>();
    if (sent.isEmpty()) {
      return recorded;
    }
    try (PreparedStatement s = connection.prepareStatement(RECORD)) {
      s.setArray(1, texts(connection, sent.stream().map(d -> d.key().tenantId())));
      s.setArray(2, texts(connection, sent.stream().map(d -> d.key().userId())));
      s.setArray(3, texts(connection, sent.stream().map(d -> d.key().frequency().name())));
      s.setArray(4, texts(connection, sent.stream().map(Sent::period)));
      s.setArray(5, connection.createArrayOf("uuid", sent.stream().map(Sent::digestId).toArray()));
      s.setArray(6, connection.createArrayOf("int4", sent.stream().map(Sent::items).toArray()));
      s.setArray(
          7,
          texts(
              connection,
              sent.stream().map(d -> String.join(String.valueOf((char) 31), d.notificationIds()))));
      s.setArray(
          8,
          connection.createArrayOf(
              "timestamptz", sent.stream().map(d -> Timestamp.from(d.dueAt())).toArray()));
      Timestamp now = Timestamp.from(at);
      s.setArray(9, connection.createArrayOf("timestamptz", sent.stream().map(d -> now).toArray()));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          recorded.add(rows.getObject(1, UUID.class));
        }
      }
    }
    return recorded;
  }

  /** Removes the items a digest took (or left out for good). */
  public void consume(Connection connection, List<Item> items) throws SQLException {
    if (items.isEmpty()) {
      return;
    }
    try (PreparedStatement s = connection.prepareStatement(CONSUME)) {
      s.setArray(1, texts(connection, items.stream().map(i -> i.key().tenantId())));
      s.setArray(2, texts(connection, items.stream().map(i -> i.key().userId())));
      s.setArray(3, texts(connection, items.stream().map(i -> i.key().frequency().name())));
      s.setArray(4, texts(connection, items.stream().map(Item::notificationId)));
      s.executeUpdate();
    }
  }

  /**
   * Forgets the claimed digests with no items left (a new item schedules its digest again), then
   * moves those that still have items (stored while they were sent, or waiting for the next period)
   * to their next time.
   */
  public void reschedule(Connection connection, Map<Key, Instant> next) throws SQLException {
    if (next.isEmpty()) {
      return;
    }
    List<Key> keys = List.copyOf(next.keySet());
    try (PreparedStatement s = connection.prepareStatement(FORGET_EMPTY)) {
      s.setArray(1, texts(connection, keys.stream().map(Key::tenantId)));
      s.setArray(2, texts(connection, keys.stream().map(Key::userId)));
      s.setArray(3, texts(connection, keys.stream().map(k -> k.frequency().name())));
      s.executeUpdate();
    }
    try (PreparedStatement s = connection.prepareStatement(RESCHEDULE)) {
      s.setArray(1, texts(connection, keys.stream().map(Key::tenantId)));
      s.setArray(2, texts(connection, keys.stream().map(Key::userId)));
      s.setArray(3, texts(connection, keys.stream().map(k -> k.frequency().name())));
      s.setArray(
          4,
          connection.createArrayOf(
              "timestamptz", keys.stream().map(k -> Timestamp.from(next.get(k))).toArray()));
      s.executeUpdate();
    }
  }

  private static Array texts(Connection connection, java.util.stream.Stream<String> values)
      throws SQLException {
    return connection.createArrayOf("text", values.toArray());
  }
}
