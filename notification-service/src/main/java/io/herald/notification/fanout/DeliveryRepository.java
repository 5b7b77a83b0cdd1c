package io.herald.notification.fanout;

import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** Channel deliveries already handed to a worker topic. */
@Repository
class DeliveryRepository {

  private final DatabaseClient db;

  DeliveryRepository(DatabaseClient db) {
    this.db = db;
  }

  Mono<Boolean> exists(UUID deliveryId) {
    return db.sql("SELECT 1 FROM deliveries WHERE delivery_id = :id")
        .bind("id", deliveryId)
        .map(row -> true)
        .first()
        .defaultIfEmpty(false);
  }

  Mono<Void> record(
      UUID deliveryId, String tenantId, String notificationId, String userId, String channel) {
    return db.sql(
            """
            INSERT INTO deliveries (delivery_id, tenant_id, notification_id, user_id, channel)
            VALUES (:id, :tenant, :notification, :user, :channel)
            ON CONFLICT DO NOTHING
            """)
        .bind("id", deliveryId)
        .bind("tenant", tenantId)
        .bind("notification", notificationId)
        .bind("user", userId)
        .bind("channel", channel)
        .then();
  }
}
