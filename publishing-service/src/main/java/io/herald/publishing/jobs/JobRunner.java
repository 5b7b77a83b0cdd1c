package io.herald.publishing.jobs;

import io.herald.publishing.PublishingProperties;
import io.herald.publishing.connections.ConnectionStore;
import io.herald.publishing.connections.PlatformConnection;
import io.herald.publishing.platforms.PlatformClient;
import io.herald.publishing.platforms.PublishOutcome;
import io.herald.publishing.posts.Post;
import io.herald.publishing.posts.PostProgress;
import io.herald.publishing.posts.PostStore;
import io.herald.support.polling.PollingLoop;
import io.herald.support.tracing.RecordTracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Runs due publishing jobs, a batch at a time, on every instance: claims due jobs under a lease
 * (one statement; rows another instance is claiming are skipped, so no job runs twice at once),
 * reads their posts and connections (one statement each), issues the platform calls asynchronously
 * and awaits them together, then records every attempt in one transaction: the jobs' new states,
 * the audit rows, the result events (outbox) and the posts' progress.
 *
 * <p>Transient failures are retried with backoff (1 s, 2 s, 4 s … capped, or the platform's
 * Retry-After when longer) until the job's attempts are spent; permanent ones fail the job at once.
 * A job whose instance died mid-attempt is claimed again when its lease expires.
 */
public class JobRunner extends PollingLoop {

  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  private final DataSource dataSource;
  private final JobStore jobs;
  private final PostStore posts;
  private final PostProgress progress;
  private final ConnectionStore connections;
  private final Map<String, PlatformClient> clients;
  private final PublishingProperties properties;
  private final Clock clock;
  private final MeterRegistry meters;
  // Looked up once per platform and outcome, not once per attempt.
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final Map<String, Counter> attempts = new ConcurrentHashMap<>();
  private final Map<String, Counter> lookups = new ConcurrentHashMap<>();
  private final Semaphore inFlight;
  private final RecordTracing tracing;

  /** How far the platform's clock may be from ours when looking for an earlier attempt's post. */
  private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  /** How long a job waits for a token being refreshed before its next attempt. */
  private static final Duration TOKEN_WAIT = Duration.ofSeconds(30);

  public JobRunner(
      DataSource dataSource,
      JobStore jobs,
      PostStore posts,
      PostProgress progress,
      ConnectionStore connections,
      List<PlatformClient> clients,
      PublishingProperties properties,
      Clock clock,
      MeterRegistry meters,
      RecordTracing tracing) {
    super(
        "publishing-jobs",
        properties.jobs().pollInterval(),
        properties.jobs().callTimeout().plusSeconds(5));
    this.dataSource = dataSource;
    this.jobs = jobs;
    this.posts = posts;
    this.progress = progress;
    this.connections = connections;
    this.clients =
        clients.stream().collect(Collectors.toMap(PlatformClient::platform, Function.identity()));
    this.properties = properties;
    this.clock = clock;
    this.meters = meters;
    this.inFlight = new Semaphore(properties.jobs().inFlight());
    this.tracing = tracing;
  }

  @Override
  protected boolean runOnce() throws SQLException, InterruptedException {
    return runBatch() > 0;
  }

  /** Runs one batch of due jobs; returns how many were claimed. */
  int runBatch() throws SQLException, InterruptedException {
    PublishingProperties.Jobs settings = properties.jobs();
    List<Job> claimed;
    Map<PostStore.Key, Post> postsByKey;
    Map<ConnectionStore.Key, PlatformConnection> connectionsByKey;
    try (Connection db = dataSource.getConnection()) {
      claimed =
          jobs.claim(
              db,
              properties.instanceId(),
              settings.batch(),
              settings.lease(),
              settings.callTimeout().plus(CLOCK_SKEW),
              clock.instant());
      if (claimed.isEmpty()) {
        db.commit();
        return 0;
      }
      postsByKey =
          posts.load(
              db,
              claimed.stream()
                  .map(j -> new PostStore.Key(j.tenantId(), j.postId()))
                  .distinct()
                  .toList());
      connectionsByKey =
          connections.load(
              db,
              claimed.stream()
                  .map(j -> new ConnectionStore.Key(j.tenantId(), j.connectionId()))
                  .distinct()
                  .toList());
      db.commit();
    }

    List<Attempt> attempts = new ArrayList<>(claimed.size());
    for (Job job : claimed) {
      // The attempt belongs to the trace of the command that created the job.
      Span span =
          tracing.start(
              "publish " + job.platform().toLowerCase(java.util.Locale.ROOT), job.traceParent());
      try (Tracer.SpanInScope scope = tracing.inScope(span)) {
        attempts.add(start(job, postsByKey, connectionsByKey, span));
      }
    }
    CompletableFuture.allOf(
            attempts.stream().map(Attempt::outcome).toArray(CompletableFuture[]::new))
        .join();

    Instant now = clock.instant();
    List<JobStore.Finished> finished = new ArrayList<>(attempts.size());
    List<JobStore.OutboxEntry> outbox = new ArrayList<>(attempts.size());
    for (Attempt a : attempts) {
      finish(
          a,
          postsByKey.get(new PostStore.Key(a.job().tenantId(), a.job().postId())),
          now,
          finished,
          outbox);
    }
    try (Connection db = dataSource.getConnection()) {
      jobs.record(db, finished, outbox);
      progress.apply(db, jobs.statesByPost(db, postsByKey.keySet()), now);
      db.commit();
    }
    return claimed.size();
  }

  /**
   * @param lookupFailed set when the platform could not be asked for an earlier attempt's post
   */
  private record Attempt(
      Job job,
      String request,
      Instant startedAt,
      long startNanos,
      CompletableFuture<PublishOutcome> outcome,
      AtomicBoolean lookupFailed,
      Span span) {

    Attempt(
        Job job,
        String request,
        Instant startedAt,
        long startNanos,
        CompletableFuture<PublishOutcome> outcome,
        Span span) {
      this(job, request, startedAt, startNanos, outcome, new AtomicBoolean(), span);
    }
  }

  private Attempt start(
      Job job,
      Map<PostStore.Key, Post> postsByKey,
      Map<ConnectionStore.Key, PlatformConnection> connectionsByKey,
      Span span)
      throws InterruptedException {
    Post post = postsByKey.get(new PostStore.Key(job.tenantId(), job.postId()));
    PlatformConnection connection =
        connectionsByKey.get(new ConnectionStore.Key(job.tenantId(), job.connectionId()));
    PlatformClient client = clients.get(job.platform());
    Instant startedAt = clock.instant();
    long startNanos = System.nanoTime();
    if (post == null || connection == null || client == null) {
      String why =
          post == null
              ? "the post is gone"
              : connection == null
                  ? "connection " + job.connectionId() + " is gone"
                  : "no client for platform " + job.platform();
      return new Attempt(
          job,
          "none",
          startedAt,
          startNanos,
          CompletableFuture.completedFuture(
              new PublishOutcome.Permanent("NOT_PUBLISHABLE", why, 0)),
          span);
    }
    if (!"connected".equals(connection.status())) {
      return new Attempt(
          job,
          "none",
          startedAt,
          startNanos,
          CompletableFuture.completedFuture(
              new PublishOutcome.Permanent(
                  "AUTH_EXPIRED",
                  "connection "
                      + connection.connectionId()
                      + " is "
                      + connection.status()
                      + "; reconnect it",
                  0)),
          span);
    }
    if (connection.expiresAt() != null && connection.expiresAt().isBefore(startedAt)) {
      // The refresher is behind (or the platform is refusing refreshes for now): wait for it
      // rather than send a token the platform will refuse as revoked.
      return new Attempt(
          job,
          "none",
          startedAt,
          startNanos,
          CompletableFuture.completedFuture(
              new PublishOutcome.Transient(
                  "TOKEN_EXPIRED",
                  "the access token of connection "
                      + connection.connectionId()
                      + " expired and is being refreshed",
                  TOKEN_WAIT,
                  0)),
          span);
    }
    String request = client.describe(connection, post.text(), post.mediaUrls());
    inFlight.acquire();
    CompletableFuture<PublishOutcome> outcome;
    AtomicBoolean lookupFailed = new AtomicBoolean();
    if (job.checkSince() == null) {
      outcome = client.publish(connection, post.text(), post.mediaUrls(), job.jobId());
    } else {
      // An earlier attempt may have posted: look before posting again.
      request = "look for the post since " + job.checkSince() + ", then " + request;
      outcome =
          client
              .findPublished(connection, post.text(), post.mediaUrls(), job.checkSince())
              .thenCompose(
                  found -> {
                    recoveries(job.platform(), found == null ? "not_found" : outcomeName(found))
                        .increment();
                    if (found != null && !(found instanceof PublishOutcome.Published)) {
                      lookupFailed.set(true);
                    }
                    return found != null
                        ? CompletableFuture.completedFuture(found)
                        : client.publish(connection, post.text(), post.mediaUrls(), job.jobId());
                  });
    }
    outcome = outcome.whenComplete((o, e) -> inFlight.release());
    return new Attempt(job, request, startedAt, startNanos, outcome, lookupFailed, span);
  }

  private Counter recoveries(String platform, String result) {
    return lookups.computeIfAbsent(
        platform + "/" + result,
        key ->
            meters.counter(
                "herald.publishing.recovery.lookups", "platform", platform, "result", result));
  }

  private static String outcomeName(PublishOutcome outcome) {
    return outcome instanceof PublishOutcome.Published ? "found" : "unavailable";
  }

  private void finish(
      Attempt a,
      Post post,
      Instant now,
      List<JobStore.Finished> finished,
      List<JobStore.OutboxEntry> outbox) {
    Job job = a.job();
    PublishOutcome outcome = a.outcome().join();
    // Whether the next attempt must look for this one's post first: while the platform could not
    // be asked, or when this call timed out (it may have posted all the same).
    Instant checkSince = null;
    if (a.lookupFailed().get()) {
      checkSince = job.checkSince();
    } else if (outcome instanceof PublishOutcome.Transient t && t.mayHavePosted()) {
      checkSince = job.checkSince() != null ? job.checkSince() : a.startedAt().minus(CLOCK_SKEW);
    }
    int millis = (int) Duration.ofNanos(System.nanoTime() - a.startNanos()).toMillis();
    durations
        .computeIfAbsent(
            job.platform(),
            platform ->
                Timer.builder("herald.publishing.attempts.duration")
                    .tag("platform", platform)
                    .register(meters))
        .record(Duration.ofMillis(millis));
    String result;
    if (outcome instanceof PublishOutcome.Published p) {
      String request =
          p.foundEarlier()
              ? a.request() + ": found " + p.platformPostId() + ", not posted again"
              : a.request();
      finished.add(
          new JobStore.Finished(
              job,
              JobState.PUBLISHED,
              null,
              p.platformPostId(),
              p.url(),
              null,
              null,
              p.status(),
              request,
              a.startedAt(),
              millis,
              checkSince));
      outbox.add(JobResults.published(job, post, p.platformPostId(), p.url(), now));
      result = "published";
    } else if (outcome instanceof PublishOutcome.Transient t && job.attempt() < job.maxAttempts()) {
      Duration wait = properties.jobs().backoff(job.attempt() + 1);
      if (t.retryAfter() != null && t.retryAfter().compareTo(wait) > 0) {
        wait = t.retryAfter();
      }
      finished.add(
          new JobStore.Finished(
              job,
              JobState.RETRYING,
              now.plus(wait),
              null,
              null,
              t.code(),
              t.message(),
              t.status(),
              a.request(),
              a.startedAt(),
              millis,
              checkSince));
      outbox.add(JobResults.failed(job, post, false, t.code(), t.message(), now));
      result = "retrying";
    } else {
      String code;
      String message;
      int status;
      if (outcome instanceof PublishOutcome.Transient t) {
        code = t.code();
        message = t.message() + " (after " + job.attempt() + " attempts)";
        status = t.status();
      } else {
        PublishOutcome.Permanent p = (PublishOutcome.Permanent) outcome;
        code = p.code();
        message = p.message();
        status = p.status();
      }
      finished.add(
          new JobStore.Finished(
              job,
              JobState.FAILED,
              null,
              null,
              null,
              code,
              message,
              status,
              a.request(),
              a.startedAt(),
              millis,
              checkSince));
      outbox.add(JobResults.failed(job, post, true, code, message, now));
      result = "failed";
    }
    a.span().tag("herald.outcome", result);
    try (Tracer.SpanInScope scope = tracing.inScope(a.span())) {
      log.atLevel(result.equals("failed") ? Level.WARN : Level.DEBUG)
          .addKeyValue("tenant", job.tenantId())
          .addKeyValue("postId", job.postId())
          .addKeyValue("jobId", job.jobId())
          .log(
              "Publishing job {} of post {} on {}, attempt {}: {}",
              job.jobId(),
              job.postId(),
              job.platform(),
              job.attempt(),
              result);
    }
    a.span().end();
    attempts
        .computeIfAbsent(
            job.platform() + "/" + result,
            key ->
                meters.counter(
                    "herald.publishing.attempts", "platform", job.platform(), "outcome", result))
        .increment();
  }
}
