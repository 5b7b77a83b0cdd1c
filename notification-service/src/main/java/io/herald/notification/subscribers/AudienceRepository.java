package io.herald.notification.subscribers;

import io.herald.notification.subscribers.Recipient.PushContact;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Set-based audience reads for the fan-out: each call answers many {@link AudienceQuery}s with one
 * statement, so a batch of requests costs one round trip, not one per request or per recipient.
 * Every query is scoped to its tenant.
 */
public class AudienceRepository {

  private static final String PAGES =
      """
      WITH q(idx, tenant_id, roles) AS (SELECT * FROM unnest(?::int[], ?::text[], ?::text[])),
           e(idx, tenant_id, user_id) AS (SELECT * FROM unnest(?::int[], ?::text[], ?::text[])),
           u AS (
             SELECT idx, user_id, bool_or(named) AS named FROM (
               SELECT q.idx, s.user_id, false AS named
                 FROM q JOIN subscribers s
                   ON s.tenant_id = q.tenant_id AND s.roles && string_to_array(q.roles, chr(31))
                WHERE q.roles <> ''
               UNION ALL
               SELECT e.idx, e.user_id COLLATE "C", true FROM e) a
             GROUP BY idx, user_id),
           n AS (
             SELECT idx, user_id, named,
                    row_number() OVER (PARTITION BY idx ORDER BY user_id) - 1 AS position
               FROM u)
      SELECT idx, user_id, named, position FROM n WHERE named OR position % ? = 0
       ORDER BY idx, position
      """;

  private static final String RECIPIENTS =
      """
      WITH q(idx, tenant_id, roles, from_user, to_user) AS (
             SELECT * FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[])),
           e(idx, tenant_id, user_id) AS (SELECT * FROM unnest(?::int[], ?::text[], ?::text[]))
      SELECT q.idx, s.user_id, true AS registered, s.email, s.phone, s.locale, s.time_zone
        FROM q JOIN subscribers s
          ON s.tenant_id = q.tenant_id
         AND s.user_id >= coalesce(q.from_user, '')
         AND (q.to_user IS NULL OR s.user_id < q.to_user)
         AND s.roles && string_to_array(q.roles, chr(31))
       WHERE q.roles <> ''
      UNION ALL
      SELECT e.idx, e.user_id COLLATE "C", s.user_id IS NOT NULL, s.email, s.phone, s.locale,
             s.time_zone
        FROM e LEFT JOIN subscribers s ON s.tenant_id = e.tenant_id AND s.user_id = e.user_id
      """;

  /**
   * {@link #RECIPIENTS} for queries that name users only: without the role branch, which the
   * planner cannot rule out from its parameters and may plan as a scan of the subscribers.
   */
  private static final String NAMED_RECIPIENTS =
      """
      WITH q(idx, tenant_id, roles, from_user, to_user) AS (
             SELECT * FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[])),
           e(idx, tenant_id, user_id) AS (SELECT * FROM unnest(?::int[], ?::text[], ?::text[]))
      SELECT e.idx, e.user_id COLLATE "C", s.user_id IS NOT NULL, s.email, s.phone, s.locale,
             s.time_zone
        FROM e LEFT JOIN subscribers s ON s.tenant_id = e.tenant_id AND s.user_id = e.user_id
      """;

  private static final String PUSH_CONTACTS =
      """
      SELECT p.tenant_id, p.user_id, p.platform, p.token, p.p256dh, p.auth
        FROM unnest(?::text[], ?::text[]) AS u(tenant_id, user_id)
        JOIN push_contacts p ON p.tenant_id = u.tenant_id AND p.user_id = u.user_id
       ORDER BY p.created_at, p.token
      """;

  /**
   * Cuts each audience (named users and role holders, deduplicated) into pages of {@code pageSize}
   * users, without loading the audience: only the first user of each page and the named users come
   * back.
   */
  public Map<Integer, AudiencePages> pages(
      Connection connection, Collection<AudienceQuery> queries, int pageSize) throws SQLException {
    Map<Integer, List<String>> firsts = new HashMap<>();
    Map<Integer, Map<String, Integer>> named = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(PAGES)) {
      bindQueries(connection, statement, queries, false);
      statement.setInt(7, pageSize);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          int index = rows.getInt(1);
          String userId = rows.getString(2);
          long position = rows.getLong(4);
          if (position % pageSize == 0) {
            firsts.computeIfAbsent(index, i -> new ArrayList<>()).add(userId);
          }
          if (rows.getBoolean(3)) {
            named
                .computeIfAbsent(index, i -> new HashMap<>())
                .put(userId, (int) (position / pageSize));
          }
        }
      }
    }
    Map<Integer, AudiencePages> pages = new HashMap<>();
    for (AudienceQuery query : queries) {
      // Already in the database's (byte-wise) order; Java's String order may differ.
      List<String> first = firsts.getOrDefault(query.index(), List.of());
      pages.put(
          query.index(),
          new AudiencePages(
              List.copyOf(first), Map.copyOf(named.getOrDefault(query.index(), Map.of()))));
    }
    return pages;
  }

  /**
   * The recipients of each query, deduplicated (a named user who also holds a role comes once),
   * with their push contact points when {@code withPushContacts}.
   */
  public Map<Integer, List<Recipient>> recipients(
      Connection connection, Collection<AudienceQuery> queries, boolean withPushContacts)
      throws SQLException {
    Map<Integer, Map<String, Recipient>> found = new HashMap<>();
    Map<Integer, String> tenants = new HashMap<>();
    boolean namedOnly = queries.stream().allMatch(q -> q.roles().isEmpty());
    try (PreparedStatement statement =
        connection.prepareStatement(namedOnly ? NAMED_RECIPIENTS : RECIPIENTS)) {
      bindQueries(connection, statement, queries, true);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          Recipient recipient =
              new Recipient(
                  rows.getString(2),
                  rows.getBoolean(3),
                  rows.getString(4),
                  rows.getString(5),
                  rows.getString(6) == null ? "en" : rows.getString(6),
                  rows.getString(7) == null ? "UTC" : rows.getString(7),
                  List.of());
          found
              .computeIfAbsent(rows.getInt(1), i -> new LinkedHashMap<>())
              .merge(recipient.userId(), recipient, (a, b) -> a.registered() ? a : b);
        }
      }
    }
    for (AudienceQuery query : queries) {
      tenants.put(query.index(), query.tenantId());
    }
    if (withPushContacts) {
      attachPushContacts(connection, found, tenants);
    }
    Map<Integer, List<Recipient>> result = new HashMap<>();
    found.forEach((index, byUser) -> result.put(index, List.copyOf(byUser.values())));
    return result;
  }

  private void attachPushContacts(
      Connection connection,
      Map<Integer, Map<String, Recipient>> found,
      Map<Integer, String> tenants)
      throws SQLException {
    Set<List<String>> users = new LinkedHashSet<>();
    found.forEach(
        (index, byUser) ->
            byUser.values().stream()
                .filter(Recipient::registered)
                .forEach(r -> users.add(List.of(tenants.get(index), r.userId()))));
    if (users.isEmpty()) {
      return;
    }
    Map<List<String>, List<PushContact>> contacts = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(PUSH_CONTACTS)) {
      statement.setArray(1, texts(connection, users.stream().map(u -> u.get(0)).toList()));
      statement.setArray(2, texts(connection, users.stream().map(u -> u.get(1)).toList()));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          contacts
              .computeIfAbsent(
                  List.of(rows.getString(1), rows.getString(2)), k -> new ArrayList<>())
              .add(
                  new PushContact(
                      rows.getString(3), rows.getString(4), rows.getString(5), rows.getString(6)));
        }
      }
    }
    found.forEach(
        (index, byUser) ->
            byUser.replaceAll(
                (userId, r) ->
                    r.withPushContacts(
                        contacts.getOrDefault(List.of(tenants.get(index), userId), List.of()))));
  }

  private static void bindQueries(
      Connection connection,
      PreparedStatement statement,
      Collection<AudienceQuery> queries,
      boolean withRanges)
      throws SQLException {
    List<Integer> roleIndexes = new ArrayList<>();
    List<String> roleTenants = new ArrayList<>();
    List<String> roles = new ArrayList<>();
    List<String> froms = new ArrayList<>();
    List<String> tos = new ArrayList<>();
    List<Integer> namedIndexes = new ArrayList<>();
    List<String> namedTenants = new ArrayList<>();
    List<String> namedUsers = new ArrayList<>();
    for (AudienceQuery query : queries) {
      if (!query.roles().isEmpty()) {
        roleIndexes.add(query.index());
        roleTenants.add(query.tenantId());
        roles.add(query.rolesParameter());
        froms.add(query.fromUserId());
        tos.add(query.toUserId());
      }
      for (String userId : query.userIds()) {
        namedIndexes.add(query.index());
        namedTenants.add(query.tenantId());
        namedUsers.add(userId);
      }
    }
    int p = 1;
    statement.setArray(p++, connection.createArrayOf("int4", roleIndexes.toArray()));
    statement.setArray(p++, texts(connection, roleTenants));
    statement.setArray(p++, texts(connection, roles));
    if (withRanges) {
      statement.setArray(p++, texts(connection, froms));
      statement.setArray(p++, texts(connection, tos));
    }
    statement.setArray(p++, connection.createArrayOf("int4", namedIndexes.toArray()));
    statement.setArray(p++, texts(connection, namedTenants));
    statement.setArray(p, texts(connection, namedUsers));
  }

  static Array texts(Connection connection, List<String> values) throws SQLException {
    return connection.createArrayOf("text", values.toArray());
  }
}
