package io.herald.notification.preferences;

import io.herald.events.v1.Channel;
import io.herald.notification.digests.DigestFrequency;
import io.herald.notification.digests.DigestSettings;
import io.herald.notification.digests.DigestStore;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Preferences for a fan-out batch, read set-based: one statement for the categories and tenant
 * defaults of the batch's (tenant, category) pairs, one for the choices of its recipients, one for
 * their quiet hours and their tenants' default. Users who chose nothing cost nothing but their key
 * in the array.
 */
@Component
public class PreferenceReader {

  private final DigestStore digests;

  PreferenceReader(DigestStore digests) {
    this.digests = digests;
  }

  private static final String TENANT =
      """
      SELECT c.tenant_id, c.category, c.critical, p.channel, p.enabled
        FROM unnest(?::text[], ?::text[]) AS k(tenant_id, category)
        JOIN notification_categories c ON c.tenant_id = k.tenant_id AND c.category = k.category
        LEFT JOIN tenant_preferences p ON p.tenant_id = c.tenant_id AND p.category = c.category
      """;

  private static final String USERS =
      """
      SELECT p.tenant_id, p.user_id, p.category, p.channel, p.enabled
        FROM unnest(?::text[], ?::text[], ?::text[]) AS k(tenant_id, user_id, category)
        JOIN user_preferences p
          ON p.tenant_id = k.tenant_id AND p.user_id = k.user_id
         AND p.category IN (k.category, '*')
      """;

  private static final String QUIET =
      """
      SELECT q.tenant_id, q.user_id, q.start_time, q.end_time
        FROM (SELECT DISTINCT * FROM unnest(?::text[], ?::text[]) AS k(tenant_id, user_id)) k
        JOIN quiet_hours q ON q.tenant_id = k.tenant_id AND q.user_id IN (k.user_id, '*')
      """;

  private static final String DIGEST_FREQUENCIES =
      """
      SELECT f.tenant_id, f.user_id, f.category, f.frequency
        FROM (SELECT DISTINCT * FROM unnest(?::text[], ?::text[], ?::text[])
                 AS k(tenant_id, user_id, category)) k
        JOIN digest_frequencies f
          ON f.tenant_id = k.tenant_id AND f.user_id IN (k.user_id, '*') AND f.category = k.category
      """;

  /** One recipient of one notification: whose choices and which category apply. */
  public record Key(String tenantId, String userId, String category) {}

  public Preferences load(Connection connection, Collection<Key> keys) throws SQLException {
    Preferences preferences = new Preferences();
    if (keys.isEmpty()) {
      return preferences;
    }
    Set<List<String>> categories = new HashSet<>();
    keys.forEach(k -> categories.add(List.of(k.tenantId(), k.category())));
    try (PreparedStatement s = connection.prepareStatement(TENANT)) {
      s.setArray(1, texts(connection, categories.stream().map(c -> c.get(0)).toList()));
      s.setArray(2, texts(connection, categories.stream().map(c -> c.get(1)).toList()));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          List<String> category = List.of(rows.getString(1), rows.getString(2));
          if (rows.getBoolean(3)) {
            preferences.critical.add(category);
          }
          if (rows.getString(4) != null) {
            preferences.tenantDefaults.put(
                List.of(category.get(0), category.get(1), rows.getString(4)), rows.getBoolean(5));
          }
        }
      }
    }
    try (PreparedStatement s = connection.prepareStatement(USERS)) {
      s.setArray(1, texts(connection, keys.stream().map(Key::tenantId).toList()));
      s.setArray(2, texts(connection, keys.stream().map(Key::userId).toList()));
      s.setArray(3, texts(connection, keys.stream().map(Key::category).toList()));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          preferences.users.put(
              List.of(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)),
              rows.getBoolean(5));
        }
      }
    }
    try (PreparedStatement s = connection.prepareStatement(QUIET)) {
      s.setArray(1, texts(connection, keys.stream().map(Key::tenantId).toList()));
      s.setArray(2, texts(connection, keys.stream().map(Key::userId).toList()));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          preferences.quiet.put(
              List.of(rows.getString(1), rows.getString(2)),
              new QuietHours(
                  rows.getObject(3, LocalTime.class), rows.getObject(4, LocalTime.class)));
        }
      }
    }
    loadDigests(connection, keys, preferences);
    return preferences;
  }

  /**
   * Digest frequencies of the batch's recipients and categories (theirs, else the tenant's), and
   * the digest settings of those who collect anything.
   */
  private void loadDigests(Connection connection, Collection<Key> keys, Preferences preferences)
      throws SQLException {
    try (PreparedStatement s = connection.prepareStatement(DIGEST_FREQUENCIES)) {
      s.setArray(1, texts(connection, keys.stream().map(Key::tenantId).toList()));
      s.setArray(2, texts(connection, keys.stream().map(Key::userId).toList()));
      s.setArray(3, texts(connection, keys.stream().map(Key::category).toList()));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          List<String> key = List.of(rows.getString(1), rows.getString(2), rows.getString(3));
          DigestFrequency.parse(rows.getString(4))
              .ifPresent(f -> preferences.frequencies.put(key, f));
        }
      }
    }
    if (preferences.frequencies.isEmpty()) {
      return;
    }
    List<List<String>> collecting = new java.util.ArrayList<>();
    for (Key k : keys) {
      if (preferences.digestFrequency(k.tenantId(), k.userId(), k.category())
          != DigestFrequency.IMMEDIATE) {
        collecting.add(List.of(k.tenantId(), k.userId()));
      }
    }
    if (collecting.isEmpty()) {
      return;
    }
    preferences.digestSettings.putAll(digests.settings(connection, collecting));
  }

  private static Array texts(Connection connection, List<String> values) throws SQLException {
    return connection.createArrayOf("text", values.toArray());
  }

  /** The preferences of one batch. */
  public static final class Preferences {

    private final Set<List<String>> critical = new HashSet<>();
    private final Map<List<String>, Boolean> tenantDefaults = new HashMap<>();
    private final Map<List<String>, Boolean> users = new HashMap<>();
    private final Map<List<String>, QuietHours> quiet = new HashMap<>();
    private final Map<List<String>, DigestFrequency> frequencies = new HashMap<>();
    private final Map<List<String>, DigestSettings> digestSettings = new HashMap<>();

    /** How often the category reaches the user: their choice, else the tenant's, else at once. */
    public DigestFrequency digestFrequency(String tenantId, String userId, String category) {
      if (frequencies.isEmpty()) {
        return DigestFrequency.IMMEDIATE;
      }
      DigestFrequency f = frequencies.get(List.of(tenantId, userId, category));
      if (f == null) {
        f = frequencies.get(List.of(tenantId, PreferenceRules.EVERY_USER, category));
      }
      return f == null ? DigestFrequency.IMMEDIATE : f;
    }

    /** The user's digest settings, else the tenant's, else the defaults. */
    public DigestSettings digestSettings(String tenantId, String userId) {
      return digestSettings.getOrDefault(List.of(tenantId, userId), DigestSettings.DEFAULT);
    }

    /**
     * When the recipient's quiet hours (their own, else the tenant's) end, if {@code now} is inside
     * them in {@code zone}; else null.
     */
    public Instant quietUntil(String tenantId, String userId, ZoneId zone, Instant now) {
      QuietHours window = quiet.get(List.of(tenantId, userId));
      if (window == null) {
        window = quiet.get(List.of(tenantId, PreferenceRules.EVERY_USER));
      }
      return window == null ? null : window.endsAfter(zone, now);
    }

    /** Whether the tenant marked the category critical (it bypasses opt-outs). */
    public boolean critical(String tenantId, String category) {
      return critical.contains(List.of(tenantId, category));
    }

    public boolean allows(String tenantId, String userId, String category, Channel channel) {
      if (critical.isEmpty() && tenantDefaults.isEmpty() && users.isEmpty()) {
        return true;
      }
      String ch = channel.name();
      return PreferenceRules.allows(
          critical.contains(List.of(tenantId, category)),
          Optional.ofNullable(users.get(List.of(tenantId, userId, category, ch))),
          Optional.ofNullable(
              users.get(List.of(tenantId, userId, PreferenceRules.EVERY_CATEGORY, ch))),
          Optional.ofNullable(tenantDefaults.get(List.of(tenantId, category, ch))));
    }
  }
}
