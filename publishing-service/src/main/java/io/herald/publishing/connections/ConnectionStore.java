package io.herald.publishing.connections;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
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
