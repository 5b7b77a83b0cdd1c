package io.herald.publishing.connections;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** Platform connections in the database, tokens sealed by {@link TokenCipher}. */
@Component
public class ConnectionStore {

  /** A connection's identity. */
  public record Key(String tenantId, String connectionId) {}

  private final TokenCipher cipher;

  public ConnectionStore(TokenCipher cipher) {
    this.cipher = cipher;
  }

  /** The connections among {@code keys}, tokens decrypted; one statement. */
  public Map<Key, PlatformConnection> load(Connection db, Collection<Key> keys)
      throws SQLException {
    Map<Key, PlatformConnection> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    try (PreparedStatement select =
        db.prepareStatement(
            """
            select c.tenant_id, c.connection_id, c.brand_id, c.platform, c.account_id,
                   c.account_name, c.status, c.key_id, c.access_token, c.expires_at
            from platform_connections c
            join unnest(?::text[], ?::text[]) as k(tenant_id, connection_id)
              on c.tenant_id = k.tenant_id and c.connection_id = k.connection_id
            """)) {
      select.setArray(1, db.createArrayOf("text", keys.stream().map(Key::tenantId).toArray()));
      select.setArray(2, db.createArrayOf("text", keys.stream().map(Key::connectionId).toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String connectionId = rows.getString("connection_id");
          Timestamp expires = rows.getTimestamp("expires_at");
          PlatformConnection c =
              new PlatformConnection(
                  rows.getString("tenant_id"),
                  connectionId,
                  rows.getString("brand_id"),
                  rows.getString("platform"),
                  rows.getString("account_id"),
                  rows.getString("account_name"),
                  rows.getString("status"),
                  cipher.decrypt(
                      connectionId,
                      new TokenCipher.Sealed(
                          rows.getString("key_id"), rows.getBytes("access_token"))),
                  expires == null ? null : expires.toInstant());
          found.put(new Key(c.tenantId(), connectionId), c);
        }
      }
    }
    return found;
  }

  /** A connection as the API shows it: never a token. */
  public record View(
      String connectionId,
      String brandId,
      String platform,
      String accountId,
      String accountName,
      String status,
      String statusReason,
      Instant expiresAt,
      Instant createdAt,
      Instant updatedAt) {}

  /** An authorization under way, as the callback finds it. */
  public record PendingAuthorization(
      String state,
      String tenantId,
      String brandId,
      String platform,
      String codeVerifier,
      String createdBy,
      Instant expiresAt,
      String accountHint) {}

  private static final String VIEW_COLUMNS =
      "connection_id, brand_id, platform, account_id, account_name, status, status_reason,"
          + " expires_at, created_at, updated_at";

  /** The tenant's connections, narrowed to brands (null: all) and a platform (null: all). */
  public List<View> list(Connection db, String tenantId, List<String> brands, String platform)
      throws SQLException {
    return select(db, tenantId, brands, platform, null);
  }

  /** One connection of the tenant, if it is of one of {@code brands} (null: any brand). */
  public Optional<View> view(
      Connection db, String tenantId, List<String> brands, String connectionId)
      throws SQLException {
    return select(db, tenantId, brands, null, connectionId).stream().findFirst();
  }

  private List<View> select(
      Connection db, String tenantId, List<String> brands, String platform, String connectionId)
      throws SQLException {
    StringBuilder sql =
        new StringBuilder(
            "select " + VIEW_COLUMNS + " from platform_connections where tenant_id = ?");
    if (brands != null) {
      sql.append(" and brand_id = any(?)");
    }
    if (platform != null) {
      sql.append(" and platform = ?");
    }
    if (connectionId != null) {
      sql.append(" and connection_id = ?");
    }
    sql.append(" order by brand_id, platform, created_at");
    try (PreparedStatement select = db.prepareStatement(sql.toString())) {
      int i = 1;
      select.setString(i++, tenantId);
      if (brands != null) {
        select.setArray(i++, db.createArrayOf("text", brands.toArray()));
      }
      if (platform != null) {
        select.setString(i++, platform);
      }
      if (connectionId != null) {
        select.setString(i, connectionId);
      }
      List<View> views = new ArrayList<>();
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          views.add(view(rows));
        }
      }
      return views;
    }
  }

  /** The id of the brand's existing connection to that account, if any (a reconnection). */
  public String existing(
      Connection db, String tenantId, String brandId, String platform, String accountId)
      throws SQLException {
    try (PreparedStatement select =
        db.prepareStatement(
            "select connection_id from platform_connections where tenant_id = ? and brand_id = ?"
                + " and platform = ? and account_id = ?")) {
      select.setString(1, tenantId);
      select.setString(2, brandId);
      select.setString(3, platform);
      select.setString(4, accountId);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    }
  }

  public void markStatus(Connection db, Key key, String status) throws SQLException {
    try (PreparedStatement update =
        db.prepareStatement(
            "update platform_connections set status = ?, updated_at = now() where tenant_id = ? and connection_id = ?")) {
      update.setString(1, status);
      update.setString(2, key.tenantId());
      update.setString(3, key.connectionId());
      update.executeUpdate();
    }
  }

  public void delete(Connection db, Key key) throws SQLException {
    try (PreparedStatement delete =
        db.prepareStatement(
            "delete from platform_connections where tenant_id = ? and connection_id = ?")) {
      delete.setString(1, key.tenantId());
      delete.setString(2, key.connectionId());
      delete.executeUpdate();
    }
  }

  /** Remembers an authorization under way, its verifier sealed. */
  public void begin(Connection db, PendingAuthorization pending, String redirectUri)
      throws SQLException {
    TokenCipher.Sealed verifier = cipher.encrypt(pending.state(), pending.codeVerifier());
    try (PreparedStatement insert =
        db.prepareStatement(
            "insert into oauth_states (state, tenant_id, brand_id, platform, key_id, code_verifier,"
                + " redirect_uri, created_by, expires_at, account_hint)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, pending.state());
      insert.setString(2, pending.tenantId());
      insert.setString(3, pending.brandId());
      insert.setString(4, pending.platform());
      insert.setString(5, verifier.keyId());
      insert.setBytes(6, verifier.ciphertext());
      insert.setString(7, redirectUri);
      insert.setString(8, pending.createdBy());
      insert.setTimestamp(9, Timestamp.from(pending.expiresAt()));
      insert.setString(10, pending.accountHint());
      insert.executeUpdate();
    }
  }

  /** Takes the authorization for {@code state} (once: a second callback finds nothing). */
  public PendingAuthorization take(Connection db, String state) throws SQLException {
    try (PreparedStatement delete =
        db.prepareStatement(
            "delete from oauth_states where state = ? returning tenant_id, brand_id, platform, key_id,"
                + " code_verifier, created_by, expires_at, account_hint")) {
      delete.setString(1, state);
      try (ResultSet rows = delete.executeQuery()) {
        if (!rows.next()) {
          return null;
        }
        return new PendingAuthorization(
            state,
            rows.getString(1),
            rows.getString(2),
            rows.getString(3),
            cipher.decrypt(state, new TokenCipher.Sealed(rows.getString(4), rows.getBytes(5))),
            rows.getString(6),
            rows.getTimestamp(7).toInstant(),
            rows.getString(8));
      }
    }
  }

  /** A connection whose token is due for refresh, its refresh token decrypted. */
  public record DueRefresh(
      Key key,
      String brandId,
      String platform,
      String accountId,
      String accountName,
      String refreshToken,
      Instant expiresAt,
      int failures) {}

  /**
   * Takes up to {@code limit} connected connections whose token expires within {@code ahead}, under
   * a lease (rows another instance is refreshing are skipped): one statement.
   */
  public List<DueRefresh> claimRefresh(
      Connection db, java.time.Duration ahead, int limit, java.time.Duration lease, Instant now)
      throws SQLException {
    List<DueRefresh> due = new ArrayList<>();
    try (PreparedStatement update =
        db.prepareStatement(
            """
            with due as (
              select tenant_id, connection_id from platform_connections
               where status = 'connected' and refresh_token is not null and expires_at < ?
                 and (refresh_after is null or refresh_after <= ?)
                 and (refresh_lease_until is null or refresh_lease_until < ?)
               order by expires_at
               limit ?
               for update skip locked)
            update platform_connections c set refresh_lease_until = ?
              from due
             where c.tenant_id = due.tenant_id and c.connection_id = due.connection_id
            returning c.tenant_id, c.connection_id, c.brand_id, c.platform, c.account_id,
                      c.account_name, c.key_id, c.refresh_token, c.expires_at, c.refresh_failures
            """)) {
      Timestamp at = Timestamp.from(now);
      update.setTimestamp(1, Timestamp.from(now.plus(ahead)));
      update.setTimestamp(2, at);
      update.setTimestamp(3, at);
      update.setInt(4, limit);
      update.setTimestamp(5, Timestamp.from(now.plus(lease)));
      try (ResultSet rows = update.executeQuery()) {
        while (rows.next()) {
          String connectionId = rows.getString("connection_id");
          due.add(
              new DueRefresh(
                  new Key(rows.getString("tenant_id"), connectionId),
                  rows.getString("brand_id"),
                  rows.getString("platform"),
                  rows.getString("account_id"),
                  rows.getString("account_name"),
                  cipher.decrypt(
                      connectionId,
                      new TokenCipher.Sealed(
                          rows.getString("key_id"), rows.getBytes("refresh_token"))),
                  rows.getTimestamp("expires_at").toInstant(),
                  rows.getInt("refresh_failures")));
        }
      }
    }
    return due;
  }

  /** Tokens after a refresh (the refresh token is the old one where the platform kept it). */
  public record Refreshed(Key key, String accessToken, String refreshToken, Instant expiresAt) {}

  /** Stores refreshed tokens, sealed under the active key: one batched statement. */
  public void refreshed(Connection db, Collection<Refreshed> refreshed) throws SQLException {
    if (refreshed.isEmpty()) {
      return;
    }
    try (PreparedStatement update =
        db.prepareStatement(
            """
            update platform_connections
               set key_id = ?, access_token = ?, refresh_token = ?, expires_at = ?, refresh_after = null, refresh_lease_until = null,
                   refresh_failures = 0, updated_at = now()
             where tenant_id = ? and connection_id = ?
            """)) {
      for (Refreshed r : refreshed) {
        TokenCipher.Sealed access = cipher.encrypt(r.key().connectionId(), r.accessToken());
        // Both under the active key: a row has one key id.
        TokenCipher.Sealed refresh = cipher.encrypt(r.key().connectionId(), r.refreshToken());
        update.setString(1, access.keyId());
        update.setBytes(2, access.ciphertext());
        update.setBytes(3, refresh.ciphertext());
        update.setTimestamp(4, r.expiresAt() == null ? null : Timestamp.from(r.expiresAt()));
        update.setString(5, r.key().tenantId());
        update.setString(6, r.key().connectionId());
        update.addBatch();
      }
      update.executeBatch();
    }
  }

  /** Refreshes that failed transiently, tried again from {@code retryAt}: one batched statement. */
  public void refreshLater(Connection db, Map<Key, Instant> retryAt) throws SQLException {
    if (retryAt.isEmpty()) {
      return;
    }
    try (PreparedStatement update =
        db.prepareStatement(
            """
            update platform_connections
               set refresh_after = ?, refresh_lease_until = null,
                   refresh_failures = refresh_failures + 1
             where tenant_id = ? and connection_id = ?
            """)) {
      for (Map.Entry<Key, Instant> e : retryAt.entrySet()) {
        update.setTimestamp(1, Timestamp.from(e.getValue()));
        update.setString(2, e.getKey().tenantId());
        update.setString(3, e.getKey().connectionId());
        update.addBatch();
      }
      update.executeBatch();
    }
  }

  /** Marks connections expired, with the reason the API shows: one batched statement. */
  public void expire(Connection db, Map<Key, String> reasons) throws SQLException {
    if (reasons.isEmpty()) {
      return;
    }
    try (PreparedStatement update =
        db.prepareStatement(
            """
            update platform_connections
               set status = 'expired', status_reason = ?, refresh_lease_until = null,
                   updated_at = now()
             where tenant_id = ? and connection_id = ?
            """)) {
      for (Map.Entry<Key, String> e : reasons.entrySet()) {
        update.setString(1, e.getValue());
        update.setString(2, e.getKey().tenantId());
        update.setString(3, e.getKey().connectionId());
        update.addBatch();
      }
      update.executeBatch();
    }
  }

  /** Removes authorizations that were never completed. */
  public int forgetExpired(Connection db) throws SQLException {
    try (PreparedStatement delete =
        db.prepareStatement("delete from oauth_states where expires_at < now()")) {
      return delete.executeUpdate();
    }
  }

  private static View view(ResultSet row) throws SQLException {
    Timestamp expires = row.getTimestamp("expires_at");
    return new View(
        row.getString("connection_id"),
        row.getString("brand_id"),
        row.getString("platform"),
        row.getString("account_id"),
        row.getString("account_name"),
        row.getString("status"),
        row.getString("status_reason"),
        expires == null ? null : expires.toInstant(),
        row.getTimestamp("created_at").toInstant(),
        row.getTimestamp("updated_at").toInstant());
  }

  /** Stores a connection with its tokens sealed (insert or replace). */
  public void save(Connection db, PlatformConnection c, String refreshToken) throws SQLException {
    TokenCipher.Sealed access = cipher.encrypt(c.connectionId(), c.accessToken());
    TokenCipher.Sealed refresh =
        refreshToken == null ? null : cipher.encrypt(c.connectionId(), refreshToken);
    try (PreparedStatement upsert =
        db.prepareStatement(
            """
            insert into platform_connections (tenant_id, connection_id, brand_id, platform,
              account_id, account_name, status, key_id, access_token, refresh_token, expires_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (tenant_id, connection_id) do update set
              account_name = excluded.account_name, status = excluded.status,
              key_id = excluded.key_id, access_token = excluded.access_token,
              refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
              updated_at = now()
            """)) {
      upsert.setString(1, c.tenantId());
      upsert.setString(2, c.connectionId());
      upsert.setString(3, c.brandId());
      upsert.setString(4, c.platform());
      upsert.setString(5, c.accountId());
      upsert.setString(6, c.accountName());
      upsert.setString(7, c.status());
      upsert.setString(8, access.keyId());
      upsert.setBytes(9, access.ciphertext());
      upsert.setBytes(10, refresh == null ? null : refresh.ciphertext());
      upsert.setTimestamp(11, c.expiresAt() == null ? null : Timestamp.from(c.expiresAt()));
      upsert.executeUpdate();
    }
  }
}
