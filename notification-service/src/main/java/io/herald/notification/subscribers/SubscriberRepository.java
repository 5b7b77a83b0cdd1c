package io.herald.notification.subscribers;

import io.herald.notification.subscribers.SubscriberProfile.PushContact;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.util.List;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Reads of the subscriber store for the HTTP API; every query is scoped to one tenant. */
@Repository
class SubscriberRepository {

  private static final TypeReference<List<Map<String, String>>> CONTACTS = new TypeReference<>() {};

  private static final String SELECT =
      """
      SELECT s.user_id, s.roles, s.email, s.phone, s.locale, s.time_zone,
             coalesce((SELECT json_agg(json_build_object('platform', p.platform, 'token', p.token,
                                                         'p256dh', p.p256dh, 'auth', p.auth)
                                       ORDER BY p.created_at, p.token)
                         FROM push_contacts p
                        WHERE p.tenant_id = s.tenant_id AND p.user_id = s.user_id), '[]'::json)
             AS push
        FROM subscribers s
      """;

  private final DatabaseClient db;
  private final JsonMapper json;

  SubscriberRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<SubscriberProfile> find(String tenantId, String userId) {
    return db.sql(SELECT + " WHERE s.tenant_id = :tenant AND s.user_id = :user")
        .bind("tenant", tenantId)
        .bind("user", userId)
        .map(this::toProfile)
        .one();
  }

  /** Up to {@code limit} subscribers after {@code afterUserId} (null: from the start), by id. */
  Flux<SubscriberProfile> page(String tenantId, String afterUserId, String role, int limit) {
    String sql =
        SELECT
            + " WHERE s.tenant_id = :tenant AND s.user_id > :after"
            + (role == null ? "" : " AND s.roles @> ARRAY[:role]::text[]")
            + " ORDER BY s.user_id LIMIT :limit";
    DatabaseClient.GenericExecuteSpec spec =
        db.sql(sql)
            .bind("tenant", tenantId)
            .bind("after", afterUserId == null ? "" : afterUserId)
            .bind("limit", limit);
    if (role != null) {
      spec = spec.bind("role", role);
    }
    return spec.map(this::toProfile).all();
  }

  private SubscriberProfile toProfile(Readable row) {
    List<PushContact> contacts =
        json.readValue(row.get("push", Json.class).asString(), CONTACTS).stream()
            .map(
                c ->
                    new PushContact(
                        c.get("platform"),
                        c.get("token"),
                        c.get("p256dh") == null
                            ? null
                            : new PushContact.Keys(c.get("p256dh"), c.get("auth"))))
            .toList();
    return new SubscriberProfile(
        row.get("user_id", String.class),
        List.of(row.get("roles", String[].class)),
        row.get("email", String.class),
        row.get("phone", String.class),
        row.get("locale", String.class),
        row.get("time_zone", String.class),
        contacts);
  }
}
