package io.herald.notification.subscribers;

import io.r2dbc.spi.Readable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** Reads subscribers of one tenant; no query ever crosses tenants. */
@Repository
public class SubscriberRepository {

  private final DatabaseClient db;

  public SubscriberRepository(DatabaseClient db) {
    this.db = db;
  }

  /**
   * The recipients of an audience: the named users (registered or not) and every registered user
   * holding one of the roles, each once, in that order.
   */
  public Mono<List<Subscriber>> resolveAudience(
      String tenantId, List<String> userIds, List<String> roles) {
    return db.sql(
            """
            SELECT tenant_id, user_id, email, phone, locale FROM subscribers
             WHERE tenant_id = :tenant AND (user_id = ANY(:users) OR roles && :roles)
            """)
        .bind("tenant", tenantId)
        .bind("users", userIds.toArray(String[]::new))
        .bind("roles", roles.toArray(String[]::new))
        .map(SubscriberRepository::toSubscriber)
        .all()
        .collectList()
        .map(
            found -> {
              Map<String, Subscriber> byUser = new LinkedHashMap<>();
              for (String userId : userIds) {
                byUser.put(userId, Subscriber.unregistered(tenantId, userId));
              }
              found.forEach(s -> byUser.put(s.userId(), s));
              return List.copyOf(byUser.values());
            });
  }

  private static Subscriber toSubscriber(Readable row) {
    return new Subscriber(
        row.get("tenant_id", String.class),
        row.get("user_id", String.class),
        Optional.ofNullable(row.get("email", String.class)),
        Optional.ofNullable(row.get("phone", String.class)),
        row.get("locale", String.class));
  }
}
