package io.herald.gateway.idempotency;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The first answer to each {@code Idempotency-Key}, in the gateway's PostgreSQL database, so every
 * gateway instance sees the same keys and they survive a restart. Times are the database's, so
 * instances with skewed clocks agree on expiry and leases.
 */
@Component
class IdempotencyStore {

  private static final String CLAIM =
      """
      INSERT INTO idempotency_records AS r
          (tenant_id, user_id, idempotency_key, fingerprint, claim_id, locked_until,
           created_at, expires_at)
      VALUES (:tenant, :user, :key, :fingerprint, :claim,
              now() + make_interval(secs => :lease), now(), now() + make_interval(secs => :retention))
      ON CONFLICT (tenant_id, user_id, idempotency_key) DO UPDATE
         SET fingerprint = excluded.fingerprint, claim_id = excluded.claim_id,
             locked_until = excluded.locked_until, status = NULL, content_type = NULL,
             location = NULL, body = NULL, created_at = excluded.created_at,
             expires_at = excluded.expires_at
       WHERE r.expires_at <= now()
          OR (r.status IS NULL AND r.locked_until <= now() AND r.fingerprint = excluded.fingerprint)
      RETURNING claim_id
      """;

  private static final String FIND =
      """
      SELECT fingerprint, status, content_type, location, body,
             ceil(greatest(extract(epoch FROM locked_until - now()), 1)) AS wait
        FROM idempotency_records
       WHERE tenant_id = :tenant AND user_id = :user AND idempotency_key = :key
         AND expires_at > now()
      """;

  private static final String COMPLETE =
      """
      UPDATE idempotency_records
         SET status = :status, content_type = :contentType, location = :location, body = :body,
             claim_id = NULL, locked_until = NULL
       WHERE tenant_id = :tenant AND user_id = :user AND idempotency_key = :key
         AND claim_id = :claim
      """;

  private static final String RELEASE =
      """
      DELETE FROM idempotency_records
       WHERE tenant_id = :tenant AND user_id = :user AND idempotency_key = :key
         AND claim_id = :claim
      """;

  private static final String FORGET =
      """
      DELETE FROM idempotency_records
       WHERE ctid IN (SELECT ctid FROM idempotency_records WHERE expires_at <= now() LIMIT :limit)
      """;

  private final DatabaseClient database;
  private final IdempotencyProperties properties;

  IdempotencyStore(DatabaseClient database, IdempotencyProperties properties) {
    this.database = database;
    this.properties = properties;
  }

  /**
   * Takes the key for one request. Completes with {@code true} when the caller now holds it (first
   * use, an expired record, or a lapsed claim of the same request) and empty when another request
   * has it.
   */
  Mono<Boolean> claim(IdempotencyScope scope, byte[] fingerprint, UUID claim) {
    return database
        .sql(CLAIM)
        .bind("tenant", scope.tenantId())
        .bind("user", scope.userId())
        .bind("key", scope.key())
        .bind("fingerprint", ByteBuffer.wrap(fingerprint))
        .bind("claim", claim)
        .bind("lease", (double) properties.lease().toMillis() / 1000)
        .bind("retention", (double) properties.retention().toMillis() / 1000)
        .map(row -> claim.equals(row.get("claim_id", UUID.class)))
        .one();
  }

  /** The record of a key that {@link #claim} could not take; empty if it is gone meanwhile. */
  Mono<IdempotencyRecord> find(IdempotencyScope scope) {
    return database
        .sql(FIND)
        .bind("tenant", scope.tenantId())
        .bind("user", scope.userId())
        .bind("key", scope.key())
        .map(
            row -> {
              Short status = row.get("status", Short.class);
              StoredResponse response =
                  status == null
                      ? null
                      : new StoredResponse(
                          status,
                          row.get("content_type", String.class),
                          row.get("location", String.class),
                          bytes(row.get("body", ByteBuffer.class)));
              Number wait = row.get("wait", Number.class);
              return new IdempotencyRecord(
                  bytes(row.get("fingerprint", ByteBuffer.class)),
                  response,
                  wait == null ? 1 : wait.longValue());
            })
        .one();
  }

  /** Stores the answer of the request holding {@code claim}; later uses of the key replay it. */
  Mono<Void> complete(IdempotencyScope scope, UUID claim, StoredResponse response) {
    DatabaseClient.GenericExecuteSpec spec =
        database
            .sql(COMPLETE)
            .bind("tenant", scope.tenantId())
            .bind("user", scope.userId())
            .bind("key", scope.key())
            .bind("claim", claim)
            .bind("status", (short) response.status())
            .bind("body", ByteBuffer.wrap(response.body()));
    spec =
        response.contentType() == null
            ? spec.bindNull("contentType", String.class)
            : spec.bind("contentType", response.contentType());
    spec =
        response.location() == null
            ? spec.bindNull("location", String.class)
            : spec.bind("location", response.location());
    return spec.then();
  }

  /** Gives the key up: the next use of it runs the command anew. */
  Mono<Void> release(IdempotencyScope scope, UUID claim) {
    return database
        .sql(RELEASE)
        .bind("tenant", scope.tenantId())
        .bind("user", scope.userId())
        .bind("key", scope.key())
        .bind("claim", claim)
        .then();
  }

  /** Deletes up to {@code limit} expired records; answers how many went. */
  Mono<Long> forgetExpired(int limit) {
    return database.sql(FORGET).bind("limit", limit).fetch().rowsUpdated();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return new byte[0];
    }
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
