package io.herald.worker;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The deliveries a provider accepted, by delivery id: one set-based read and one multi-row write
 * per batch.
 *
 * <p>The one window left open: a crash (or a lost database) after the provider accepted a message
 * and before its row is written here sends it again when the batch is redelivered.
 */
public class DeliveryLedger {

  /** A recorded send. */
  record Entry(String provider, String messageId, int attempt, String recordedBy) {}

  /** A send to record. */
  record Sent(
      String deliveryId,
      String tenantId,
      String provider,
      String messageId,
      int attempt,
      String recordedBy) {}

  private final JdbcTemplate jdbc;

  public DeliveryLedger(DataSource dataSource) {
    this.jdbc = new JdbcTemplate(dataSource);
  }

  Map<String, Entry> find(Collection<String> deliveryIds) {
    Map<String, Entry> found = new HashMap<>();
    if (deliveryIds.isEmpty()) {
      return found;
    }
    jdbc.execute(
        (Connection c) -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT delivery_id, provider, message_id, attempt, recorded_by"
                      + " FROM delivery_ledger WHERE delivery_id = ANY(?)")) {
            s.setArray(1, c.createArrayOf("text", deliveryIds.toArray()));
            try (ResultSet rows = s.executeQuery()) {
              while (rows.next()) {
                found.put(
                    rows.getString(1),
                    new Entry(
                        rows.getString(2), rows.getString(3), rows.getInt(4), rows.getString(5)));
              }
            }
          }
          return null;
        });
    return found;
  }

  void record(List<Sent> sent) {
    if (sent.isEmpty()) {
      return;
    }
    int n = sent.size();
    String[] ids = new String[n];
    String[] tenants = new String[n];
    String[] providers = new String[n];
    String[] messages = new String[n];
    Integer[] attempts = new Integer[n];
    String[] origins = new String[n];
    for (int i = 0; i < n; i++) {
      Sent s = sent.get(i);
      ids[i] = s.deliveryId();
      tenants[i] = s.tenantId();
      providers[i] = s.provider();
      messages[i] = s.messageId();
      attempts[i] = s.attempt();
      origins[i] = s.recordedBy();
    }
    jdbc.execute(
        (Connection c) -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  """
                  INSERT INTO delivery_ledger
                      (delivery_id, tenant_id, provider, message_id, attempt, recorded_by)
                  SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[])
                  ON CONFLICT (delivery_id) DO NOTHING
                  """)) {
            s.setArray(1, array(c, "text", ids));
            s.setArray(2, array(c, "text", tenants));
            s.setArray(3, array(c, "text", providers));
            s.setArray(4, array(c, "text", messages));
            s.setArray(5, array(c, "int4", attempts));
            s.setArray(6, array(c, "text", origins));
            s.executeUpdate();
          }
          return null;
        });
  }

  /** Forgets sends older than {@code age}; returns how many rows went. */
  int forgetOlderThan(Duration age) {
    return jdbc.update(
        "DELETE FROM delivery_ledger WHERE sent_at < now() - make_interval(secs => ?)",
        (double) age.toSeconds());
  }

  private static Array array(Connection c, String type, Object[] values) throws SQLException {
    return c.createArrayOf(type, values);
  }
}
