package io.herald.publishing.jobs;

import io.herald.publishing.web.BrandScope;
import io.herald.publishing.web.Cursor;
import io.herald.publishing.web.Where;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Reads of publishing jobs and of the audit log of their attempts (the gateway routes them here),
 * scoped to the caller's tenant and brands, newest first, with keyset cursors.
 */
@RestController
class JobController {

  private static final int MAX_LIMIT = 100;
  private static final Set<String> PLATFORMS = Set.of("X", "LINKEDIN", "FACEBOOK");
  private static final Set<String> OUTCOMES = Set.of("published", "retrying", "failed");
  private static final String JOB_COLUMNS =
      "job_id, post_id, brand_id, connection_id, platform, state, due_at, attempt, max_attempts,"
          + " platform_post_id, url, error_code, error, requested_by, created_at, updated_at";

  /** A job as the API shows it. */
  record JobView(
      String jobId,
      String postId,
      String brandId,
      String connectionId,
      String platform,
      JobState state,
      Instant dueAt,
      int attempt,
      int maxAttempts,
      String platformPostId,
      String url,
      String errorCode,
      String error,
      String requestedBy,
      Instant createdAt,
      Instant updatedAt) {}

  /** One attempt of a job, as the audit log shows it. */
  record AttemptView(
      String jobId,
      int attempt,
      String postId,
      String brandId,
      String platform,
      String actor,
      String request,
      Integer statusCode,
      String outcome,
      String errorCode,
      String error,
      Instant startedAt,
      int durationMillis) {}

  record Page<T>(List<T> items, String nextCursor) {}

  private final DatabaseClient db;

  JobController(DatabaseClient db) {
    this.db = db;
  }

  @GetMapping(path = "/api/jobs/{jobId}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<JobView> one(HeraldPrincipal caller, @PathVariable String jobId) {
    Where where = new Where().brands(BrandScope.of(caller), "brand_id").eq("job_id", "job", jobId);
    DatabaseClient.GenericExecuteSpec spec =
        where.bind(
            db.sql(
                    "SELECT "
                        + JOB_COLUMNS
                        + " FROM publishing_jobs WHERE tenant_id = :tenant"
                        + where.sql())
                .bind("tenant", caller.tenantId()));
    return spec.map(JobController::job)
        .one()
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("no job " + jobId)));
  }

  /** Jobs narrowed by post, state, platform and brand. */
  @GetMapping(path = "/api/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Page<JobView>> list(
      HeraldPrincipal caller,
      @RequestParam(name = "postId", required = false) String postId,
      @RequestParam(name = "state", required = false) String state,
      @RequestParam(name = "platform", required = false) String platform,
      @RequestParam(name = "brandId", required = false) String brandId,
      @RequestParam(name = "cursor", required = false) String cursor,
      @RequestParam(name = "limit", defaultValue = "20") int limit) {
    if (state != null) {
      try {
        JobState.fromWire(state);
      } catch (IllegalArgumentException e) {
        throw Cursor.invalid("state", "unknown job state");
      }
    }
    checkPlatform(platform);
    platform = platform == null ? null : platform.toUpperCase(Locale.ROOT);
    Cursor after = Cursor.decode(cursor);
    int bounded = Math.max(1, Math.min(limit, MAX_LIMIT));
    Where where =
        new Where()
            .brands(BrandScope.of(caller), "brand_id")
            .eq("post_id", "post", postId)
            .eq("state", "state", state)
            .eq("platform", "platform", platform)
            .eq("brand_id", "brand", brandId);
    if (after != null) {
      where.condition(
          "(created_at, job_id) < (:afterTime, :afterId)",
          Map.of("afterTime", after.at().atOffset(ZoneOffset.UTC), "afterId", after.id()));
    }
    DatabaseClient.GenericExecuteSpec spec =
        where.bind(
            db.sql(
                    "SELECT "
                        + JOB_COLUMNS
                        + " FROM publishing_jobs WHERE tenant_id = :tenant"
                        + where.sql()
                        + " ORDER BY created_at DESC, job_id DESC LIMIT :limit")
                .bind("tenant", caller.tenantId())
                .bind("limit", bounded));
    return spec.map(JobController::job)
        .all()
        .collectList()
        .map(
            items ->
                new Page<>(
                    items,
                    items.size() < bounded
                        ? null
                        : Cursor.of(
                                items.get(items.size() - 1).createdAt(),
                                items.get(items.size() - 1).jobId())
                            .encode()));
  }

  /** The audit log: every attempt, narrowed by post, job, brand, platform and outcome. */
  @GetMapping(path = "/api/audit", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Page<AttemptView>> audit(
      HeraldPrincipal caller,
      @RequestParam(name = "postId", required = false) String postId,
      @RequestParam(name = "jobId", required = false) String jobId,
      @RequestParam(name = "brandId", required = false) String brandId,
      @RequestParam(name = "platform", required = false) String platform,
      @RequestParam(name = "outcome", required = false) String outcome,
      @RequestParam(name = "cursor", required = false) String cursor,
      @RequestParam(name = "limit", defaultValue = "20") int limit) {
    checkPlatform(platform);
    if (outcome != null && !OUTCOMES.contains(outcome)) {
      throw Cursor.invalid("outcome", "outcome is one of " + OUTCOMES);
    }
    platform = platform == null ? null : platform.toUpperCase(Locale.ROOT);
    Cursor after = Cursor.decode(cursor);
    int bounded = Math.max(1, Math.min(limit, MAX_LIMIT));
    Where where =
        new Where()
            .brands(BrandScope.of(caller), "brand_id")
            .eq("post_id", "post", postId)
            .eq("job_id", "job", jobId)
            .eq("brand_id", "brand", brandId)
            .eq("platform", "platform", platform)
            .eq("outcome", "outcome", outcome);
    if (after != null) {
      where.condition(
          "(started_at, job_id, attempt) < (:afterTime, :afterId, :afterSeq)",
          Map.of(
              "afterTime", after.at().atOffset(ZoneOffset.UTC),
              "afterId", after.id(),
              "afterSeq", after.seq()));
    }
    DatabaseClient.GenericExecuteSpec spec =
        where.bind(
            db.sql(
                    "SELECT job_id, attempt, post_id, brand_id, platform, actor, request, status_code,"
                        + " outcome, error_code, error, started_at, duration_ms FROM publishing_attempts"
                        + " WHERE tenant_id = :tenant"
                        + where.sql()
                        + " ORDER BY started_at DESC, job_id DESC, attempt DESC LIMIT :limit")
                .bind("tenant", caller.tenantId())
                .bind("limit", bounded));
    return spec.map(JobController::attempt)
        .all()
        .collectList()
        .map(
            items -> {
              if (items.size() < bounded) {
                return new Page<>(items, null);
              }
              AttemptView last = items.get(items.size() - 1);
              return new Page<>(
                  items, new Cursor(last.startedAt(), last.jobId(), last.attempt()).encode());
            });
  }

  private static void checkPlatform(String platform) {
    if (platform != null && !PLATFORMS.contains(platform.toUpperCase(Locale.ROOT))) {
      throw Cursor.invalid("platform", "platform is one of " + PLATFORMS);
    }
  }

  private static Instant instant(Readable row, String column) {
    OffsetDateTime value = row.get(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  private static JobView job(Readable row) {
    return new JobView(
        row.get("job_id", String.class),
        row.get("post_id", String.class),
        row.get("brand_id", String.class),
        row.get("connection_id", String.class),
        row.get("platform", String.class),
        JobState.fromWire(row.get("state", String.class)),
        instant(row, "due_at"),
        row.get("attempt", Integer.class),
        row.get("max_attempts", Integer.class),
        row.get("platform_post_id", String.class),
        row.get("url", String.class),
        row.get("error_code", String.class),
        row.get("error", String.class),
        row.get("requested_by", String.class),
        instant(row, "created_at"),
        instant(row, "updated_at"));
  }

  private static AttemptView attempt(Readable row) {
    return new AttemptView(
        row.get("job_id", String.class),
        row.get("attempt", Integer.class),
        row.get("post_id", String.class),
        row.get("brand_id", String.class),
        row.get("platform", String.class),
        row.get("actor", String.class),
        row.get("request", String.class),
        row.get("status_code", Integer.class),
        row.get("outcome", String.class),
        row.get("error_code", String.class),
        row.get("error", String.class),
        instant(row, "started_at"),
        row.get("duration_ms", Integer.class));
  }
}
