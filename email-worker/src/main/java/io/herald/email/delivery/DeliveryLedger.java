package io.herald.email.delivery;

import java.time.Duration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;

/**
 * The e-mails already accepted by the SMTP server, by delivery id. The one window left open: a
 * crash after the server accepted a message and before it is recorded here sends it again on
 * redelivery.
 */
@Repository
class DeliveryLedger {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final DatabaseClient db;

  DeliveryLedger(DatabaseClient db) {
    this.db = db;
  }

  boolean wasSent(String deliveryId) {
    Boolean sent =
        db.sql("SELECT 1 FROM delivery_ledger WHERE delivery_id = :id")
            .bind("id", deliveryId)
            .map(row -> true)
            .first()
            .defaultIfEmpty(false)
            .block(TIMEOUT);
    return Boolean.TRUE.equals(sent);
  }

  void recordSent(String deliveryId, String tenantId, String messageId) {
    var spec =
        db.sql(
                """
                INSERT INTO delivery_ledger (delivery_id, tenant_id, message_id)
                VALUES (:id, :tenant, :message) ON CONFLICT DO NOTHING
                """)
            .bind("id", deliveryId)
            .bind("tenant", tenantId);
    spec =
        messageId == null
            ? spec.bindNull("message", String.class)
            : spec.bind("message", messageId);
    spec.then().block(TIMEOUT);
  }
}
