package io.herald.gateway.idempotency;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The first answer to each {@code Idempotency-Key}, in the gateway's PostgreSQL database, so every
 * gateway instance sees the same keys and they survive a restart. Times are the database's, so
 * instances with skewed clocks agree on expiry and leases.
 *
 * <p>Claims and answers are written in groups ({@link GroupedWrites}): one multi-row statement
 * carries every request's claim (or answer) that arrived while the previous one ran.
 */
@Component
class IdempotencyStore {

  private static final String CLAIM =
      """
      INSERT INTO idempotency_records AS r
          (tenant_id, user_id, idempotency_key, fingerprint, claim_id, locked_until,
           created_at, expires_at)
      SELECT v.tenant_id, v.user_id, v.idempotency_key, decode(v.fingerprint, 'hex'), v.claim_id,
             now() + make_interval(secs => :lease), now(),
             now() + make_interval(secs => :retention)
        FROM unnest(:tenants::text[], :users::text[], :keys::text[], :fingerprints::text[],
                    :claims::uuid[])
             AS v(tenant_id, user_id, idempotency_key, fingerprint, claim_id)
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
      UPDATE idempotency_records AS r
         SET status = v.status::smallint, content_type = v.content_type, location = v.location,
             body = decode(v.body, 'base64'), claim_id = NULL, locked_until = NULL
        FROM unnest(:tenants::text[], :users::text[], :keys::text[], :claims::uuid[],
                    :statuses::int4[], :contentTypes::text[], :locations::text[], :bodies::text[])
             AS v(tenant_id, user_id, idempotency_key, claim_id, status, content_type, location,
                  body)
       WHERE r.tenant_id = v.tenant_id AND r.user_id = v.user_id
         AND r.idempotency_key = v.idempotency_key AND r.claim_id = v.claim_id
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

  /** Requests' claims and answers go to the database together, this many at most a statement. */
  static final int MAX_BATCH = 256;

  private final DatabaseClient database;
  private final IdempotencyProperties properties;
  private final GroupedWrites<Claim, Boolean> claims =
      new GroupedWrites<>(MAX_BATCH, this::claimAll, claim -> claim.scope());
  private final GroupedWrites<Completion, Boolean> completions =
      new GroupedWrites<>(MAX_BATCH, this::completeAll, completion -> completion.claim());

  IdempotencyStore(DatabaseClient database, IdempotencyProperties properties) {
    this.database = database;
    this.properties = properties;
  }

  private record Claim(IdempotencyScope scope, byte[] fingerprint, UUID claim) {}

  private record Completion(IdempotencyScope scope, UUID claim, StoredResponse response) {}

  /**
   * Takes the key for one request. Completes with {@code true} when the caller now holds it (first
   * use, an expired record, or a lapsed claim of the same request) and empty when another request
   * has it.
   */
  Mono<Boolean> claim(IdempotencyScope scope, byte[] fingerprint, UUID claim) {
    return claims.submit(new Claim(scope, fingerprint, claim));
  }

  /** One statement for many claims: each is taken (true) or not (null). */
  private Mono<List<Boolean>> claimAll(List<Claim> batch) {
    int size = batch.size();
    String[] tenants = new String[size];
    String[] users = new String[size];
    String[] keys = new String[size];
    String[] fingerprints = new String[size];
    UUID[] claimIds = new UUID[size];
    for (int i = 0; i < size; i++) {
      Claim claim = batch.get(i);
      tenants[i] = claim.scope().tenantId();
      users[i] = claim.scope().userId();
      keys[i] = claim.scope().key();
      fingerprints[i] = HexFormat.of().formatHex(claim.fingerprint());
      claimIds[i] = claim.claim();
    }
    return database
        .sql(CLAIM)
        .bind("tenants", tenants)
        .bind("users", users)
        .bind("keys", keys)
        .bind("fingerprints", fingerprints)
        .bind("claims", claimIds)
        .bind("lease", (double) properties.lease().toMillis() / 1000)
        .bind("retention", (double) properties.retention().toMillis() / 1000)
        .map(row -> row.get("claim_id", UUID.class))
        .all()
        .collect(Collectors.toSet())
        .map(
            taken -> {
              List<Boolean> outcomes = new ArrayList<>(size);
              for (Claim claim : batch) {
                outcomes.add(taken.contains(claim.claim()) ? Boolean.TRUE : null);
              }
              return outcomes;
            });
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
    return completions.submit(new Completion(scope, claim, response)).then();
  }

  /** One statement for many answers. */
  private Mono<List<Boolean>> completeAll(List<Completion> batch) {
    int size = batch.size();
    String[] tenants = new String[size];
    String[] users = new String[size];
    String[] keys = new String[size];
    UUID[] claimIds = new UUID[size];
    Integer[] statuses = new Integer[size];
    String[] contentTypes = new String[size];
    String[] locations = new String[size];
    String[] bodies = new String[size];
    for (int i = 0; i < size; i++) {
      Completion completion = batch.get(i);
      tenants[i] = completion.scope().tenantId();
      users[i] = completion.scope().userId();
      keys[i] = completion.scope().key();
      claimIds[i] = completion.claim();
      statuses[i] = completion.response().status();
      contentTypes[i] = completion.response().contentType();
      locations[i] = completion.response().location();
      bodies[i] = Base64.getEncoder().encodeToString(completion.response().body());
    }
    return database
        .sql(COMPLETE)
        .bind("tenants", tenants)
        .bind("users", users)
        .bind("keys", keys)
        .bind("claims", claimIds)
        .bind("statuses", statuses)
        .bind("contentTypes", contentTypes)
        .bind("locations", locations)
        .bind("bodies", bodies)
        .then()
        .thenReturn(List.of());
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
