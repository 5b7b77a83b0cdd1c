package io.herald.notification.subscribers;

import io.herald.notification.subscribers.SubscriberProfile.PushContact;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Applies a batch of the subscriber topic to the store: one statement upserts every profile, two
 * replace their push contact points, one deletes the tombstoned subscribers (their contact points
 * go with them).
 */
@Component
public class SubscriberStore {

  private static final String UPSERT =
      """
      INSERT INTO subscribers (tenant_id, user_id, email, phone, locale, time_zone, roles,
                               updated_at)
      SELECT tenant_id, user_id, email, phone, locale, time_zone,
             string_to_array(roles, chr(31)), now()
        FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
             AS t(tenant_id, user_id, email, phone, locale, time_zone, roles)
      ON CONFLICT (tenant_id, user_id) DO UPDATE
         SET email = EXCLUDED.email, phone = EXCLUDED.phone, locale = EXCLUDED.locale,
             time_zone = EXCLUDED.time_zone, roles = EXCLUDED.roles, updated_at = now()
      """;

  private static final String DELETE_PUSH =
      """
      DELETE FROM push_contacts p USING unnest(?::text[], ?::text[]) AS t(tenant_id, user_id)
       WHERE p.tenant_id = t.tenant_id AND p.user_id = t.user_id
      """;

  private static final String INSERT_PUSH =
      """
      INSERT INTO push_contacts (tenant_id, user_id, platform, token, p256dh, auth)
      SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
      """;

  private static final String DELETE =
      """
      DELETE FROM subscribers s USING unnest(?::text[], ?::text[]) AS t(tenant_id, user_id)
       WHERE s.tenant_id = t.tenant_id AND s.user_id = t.user_id
      """;

  private static final String DELETE_PREFERENCES =
      """
      DELETE FROM user_preferences p USING unnest(?::text[], ?::text[]) AS t(tenant_id, user_id)
       WHERE p.tenant_id = t.tenant_id AND p.user_id = t.user_id
      """;

  private static final String PROFILES =
      """
      SELECT s.tenant_id, s.user_id, s.roles, s.email, s.phone, s.locale, s.time_zone,
             p.platform, p.token, p.p256dh, p.auth
        FROM unnest(?::text[], ?::text[]) AS t(tenant_id, user_id)
        JOIN subscribers s ON s.tenant_id = t.tenant_id AND s.user_id = t.user_id
        LEFT JOIN push_contacts p ON p.tenant_id = s.tenant_id AND p.user_id = s.user_id
       ORDER BY s.tenant_id, s.user_id, p.created_at, p.token
      """;

  /**
   * The stored profiles of the given subscribers (those that exist), keyed by {@link
   * SubscriberProfile#key}, with one statement.
   */
  public Map<String, SubscriberProfile> profiles(Connection connection, List<Removal> who)
      throws SQLException {
    Map<String, SubscriberProfile> found = new LinkedHashMap<>();
    Map<String, List<PushContact>> contacts = new HashMap<>();
    List<List<String>> keys = columns(2);
    who.forEach(w -> add(keys, w.tenantId(), w.userId()));
    try (PreparedStatement statement = connection.prepareStatement(PROFILES)) {
      statement.setArray(1, AudienceRepository.texts(connection, keys.get(0)));
      statement.setArray(2, AudienceRepository.texts(connection, keys.get(1)));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          String key = SubscriberProfile.key(rows.getString(1), rows.getString(2));
          List<PushContact> devices = contacts.computeIfAbsent(key, k -> new ArrayList<>());
          found.computeIfAbsent(
              key,
              k -> {
                try {
                  return new SubscriberProfile(
                      rows.getString(2),
                      List.of((String[]) rows.getArray(3).getArray()),
                      rows.getString(4),
                      rows.getString(5),
                      rows.getString(6),
                      rows.getString(7),
                      List.of());
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              });
          if (rows.getString(9) != null) {
            devices.add(
                new PushContact(
                    rows.getString(8),
                    rows.getString(9),
                    rows.getString(10) == null
                        ? null
                        : new PushContact.Keys(rows.getString(10), rows.getString(11))));
          }
        }
      }
    }
    found.replaceAll(
        (key, p) ->
            new SubscriberProfile(
                p.userId(),
                p.roles(),
                p.email(),
                p.phone(),
                p.locale(),
                p.timeZone(),
                contacts.getOrDefault(key, List.of())));
    return found;
  }

  private static final String REMOVE_EMAIL =
      """
      UPDATE subscribers s SET email = NULL, updated_at = now()
        FROM unnest(?::text[], ?::text[], ?::text[]) AS t(tenant_id, user_id, contact)
       WHERE s.tenant_id = t.tenant_id AND s.user_id = t.user_id AND s.email = t.contact
      """;

  private static final String REMOVE_PHONE =
      """
      UPDATE subscribers s SET phone = NULL, updated_at = now()
        FROM unnest(?::text[], ?::text[], ?::text[]) AS t(tenant_id, user_id, contact)
       WHERE s.tenant_id = t.tenant_id AND s.user_id = t.user_id AND s.phone = t.contact
      """;

  private static final String REMOVE_PUSH =
      """
      DELETE FROM push_contacts p
       USING unnest(?::text[], ?::text[], ?::text[]) AS t(tenant_id, user_id, contact)
       WHERE p.tenant_id = t.tenant_id AND p.user_id = t.user_id AND p.token = t.contact
      """;

  /** One contact point of one subscriber: {@code channel} is EMAIL, WHATSAPP or PUSH. */
  public record ContactPoint(String tenantId, String userId, String channel, String contact) {}

  /**
   * Removes the contact points (only those; the subscribers stay), one statement per kind, so that
   * what is read next already lacks them.
   */
  public void removeContactPoints(Connection connection, List<ContactPoint> points)
      throws SQLException {
    for (String channel : List.of("EMAIL", "WHATSAPP", "PUSH")) {
      List<List<String>> columns = columns(3);
      points.stream()
          .filter(p -> p.channel().equals(channel))
          .forEach(p -> add(columns, p.tenantId(), p.userId(), p.contact()));
      if (!columns.get(0).isEmpty()) {
        execute(
            connection,
            switch (channel) {
              case "EMAIL" -> REMOVE_EMAIL;
              case "WHATSAPP" -> REMOVE_PHONE;
              default -> REMOVE_PUSH;
            },
            columns);
      }
    }
  }

  /** A profile to store for a tenant. */
  public record Upsert(String tenantId, SubscriberProfile profile) {}

  /** A subscriber to delete. */
  public record Removal(String tenantId, String userId) {}

  public void apply(Connection connection, List<Upsert> upserts, List<Removal> removals)
      throws SQLException {
    if (!upserts.isEmpty()) {
      List<List<String>> columns = columns(7);
      List<List<String>> push = columns(6);
      for (Upsert u : upserts) {
        SubscriberProfile p = u.profile();
        add(
            columns,
            u.tenantId(),
            p.userId(),
            p.email(),
            p.phone(),
            p.locale(),
            p.timeZone(),
            String.join(String.valueOf(AudienceQuery.ROLE_SEPARATOR), p.roles()));
        for (PushContact c : p.pushContacts()) {
          add(
              push,
              u.tenantId(),
              p.userId(),
              c.platform(),
              c.token(),
              c.keys() == null ? null : c.keys().p256dh(),
              c.keys() == null ? null : c.keys().auth());
        }
      }
      execute(connection, UPSERT, columns);
      execute(connection, DELETE_PUSH, List.of(columns.get(0), columns.get(1)));
      if (!push.get(0).isEmpty()) {
        execute(connection, INSERT_PUSH, push);
      }
    }
    if (!removals.isEmpty()) {
      List<List<String>> keys = columns(2);
      removals.forEach(r -> add(keys, r.tenantId(), r.userId()));
      execute(connection, DELETE, keys);
      execute(connection, DELETE_PREFERENCES, keys);
    }
  }

  private static List<List<String>> columns(int n) {
    List<List<String>> columns = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      columns.add(new ArrayList<>());
    }
    return columns;
  }

  private static void add(List<List<String>> columns, String... values) {
    for (int i = 0; i < values.length; i++) {
      columns.get(i).add(values[i]);
    }
  }

  private static void execute(Connection connection, String sql, List<List<String>> columns)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < columns.size(); i++) {
        statement.setArray(i + 1, AudienceRepository.texts(connection, columns.get(i)));
      }
      statement.executeUpdate();
    }
  }
}
