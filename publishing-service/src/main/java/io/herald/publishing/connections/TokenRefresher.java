package io.herald.publishing.connections;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.TemplateRef;
import io.herald.publishing.jobs.Job;
import io.herald.publishing.jobs.JobResults;
import io.herald.publishing.jobs.JobStore;
import io.herald.publishing.posts.Post;
import io.herald.publishing.posts.PostProgress;
import io.herald.publishing.posts.PostStore;
import io.herald.support.polling.PollingLoop;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes platform tokens before they expire, on every instance, a batch at a time: one statement
 * claims the connected connections whose token expires within {@code herald.oauth.refresh-ahead}
 * under a lease (rows another instance is refreshing are skipped, so a token is refreshed once);
 * the refresh grants go out in parallel and are awaited together; one transaction then records them
 * all. The schedule is the {@code expires_at} column itself: a token that fell due while every
 * instance was down is refreshed when one comes back.
 *
 * <ul>
 *   <li>Refreshed: the new tokens, sealed under the active key (X rotates refresh tokens; a
 *       platform that keeps its refresh token keeps it here too).
 *   <li>Refused for good ({@code invalid_grant}: the user revoked the app, the refresh token
 *       expired or was used): the connection is {@code expired} with the platform's reason, its
 *       waiting jobs fail with {@code AUTH_EXPIRED} ({@code ContentPublishFailed}, final), and the
 *       brand's admins (role {@code admin:<brand>}) are sent {@code connection.expired} on {@code
 *       notification.requests.v1}, all in that transaction (the outbox).
 *   <li>Failed transiently (timeout, 5xx, 429): tried again after 30 s, 1 min, 2 min … at most
 *       every 10 min, for as long as it fails so.
 * </ul>
 *
 * Tokens appear in no log: failures are logged by connection id and the platform's error code.
 */
public class TokenRefresher extends PollingLoop {

  private static final Logger log = LoggerFactory.getLogger(TokenRefresher.class);

  static final int BATCH = 50;
  private static final Duration LEASE = Duration.ofMinutes(2);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(30);
  private static final Duration LAST_RETRY = Duration.ofMinutes(10);

  /** How brand admins hear of an expired connection; their preferences still apply. */
  private static final List<Channel> NOTICE_CHANNELS = List.of(Channel.IN_APP, Channel.EMAIL);

  static final String EXPIRED_CATEGORY = "connection.expired";

  private final DataSource dataSource;
  private final ConnectionStore connections;
  private final JobStore jobs;
  private final PostStore posts;
  private final PostProgress progress;
  private final OAuthFlows flows;
  private final OAuthSettings settings;
  private final Clock clock;
  private final MeterRegistry meters;
  private final ExecutorService calls;

  public TokenRefresher(
      DataSource dataSource,
      ConnectionStore connections,
      JobStore jobs,
      PostStore posts,
      PostProgress progress,
      OAuthFlows flows,
      OAuthSettings settings,
      Clock clock,
      MeterRegistry meters) {
    super("token-refresh", settings.refreshInterval(), settings.timeout().plusSeconds(5));
    this.dataSource = dataSource;
    this.connections = connections;
    this.jobs = jobs;
    this.posts = posts;
    this.progress = progress;
    this.flows = flows;
    this.settings = settings;
    this.clock = clock;
    this.meters = meters;
    this.calls =
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "token-refresh-call");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  protected boolean runOnce() throws SQLException {
    return refreshOnce() == BATCH;
  }

  @Override
  public void stop() {
    super.stop();
    calls.shutdownNow();
  }

  private record Outcome(
      ConnectionStore.DueRefresh due, OAuthFlows.Issued issued, OAuthFlows.OAuthException error) {}

  /** Refreshes one batch of due tokens; returns how many were claimed. */
  int refreshOnce() throws SQLException {
    List<ConnectionStore.DueRefresh> due;
    try (Connection db = dataSource.getConnection()) {
      due = connections.claimRefresh(db, settings.refreshAhead(), BATCH, LEASE, clock.instant());
      db.commit();
    }
    if (due.isEmpty()) {
      return 0;
    }
    List<CompletableFuture<Outcome>> pending = new ArrayList<>(due.size());
    for (ConnectionStore.DueRefresh d : due) {
      pending.add(CompletableFuture.supplyAsync(() -> refresh(d), calls));
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();

    Instant now = clock.instant();
    List<ConnectionStore.Refreshed> refreshed = new ArrayList<>();
    Map<ConnectionStore.Key, Instant> later = new HashMap<>();
    Map<ConnectionStore.Key, String> expired = new LinkedHashMap<>();
    Map<ConnectionStore.Key, ConnectionStore.DueRefresh> expiredDue = new HashMap<>();
    for (CompletableFuture<Outcome> f : pending) {
      Outcome o = f.join();
      ConnectionStore.Key key = o.due().key();
      if (o.issued() != null) {
        refreshed.add(
            new ConnectionStore.Refreshed(
                key,
                o.issued().accessToken(),
                o.issued().refreshToken() != null
                    ? o.issued().refreshToken()
                    : o.due().refreshToken(),
                o.issued().expiresAt()));
        count(o.due().platform(), "refreshed");
      } else if (o.error().retryable()) {
        later.put(key, now.plus(backoff(o.due().failures())));
        count(o.due().platform(), "retrying");
        log.warn(
            "token refresh of connection {} failed, trying again: {}",
            key.connectionId(),
            o.error().code());
      } else {
        String reason =
            "the "
                + o.due().platform()
                + " token could not be refreshed ("
                + o.error().code()
                + ": "
                + o.error().getMessage()
                + "); reconnect the account";
        expired.put(key, reason);
        expiredDue.put(key, o.due());
        count(o.due().platform(), "expired");
        log.warn(
            "connection {} expired: the platform refused the refresh ({})",
            key.connectionId(),
            o.error().code());
      }
    }

    try (Connection db = dataSource.getConnection()) {
      connections.refreshed(db, refreshed);
      connections.refreshLater(db, later);
      if (!expired.isEmpty()) {
        connections.expire(db, expired);
        List<Job> failed = jobs.failWaiting(db, expired, "AUTH_EXPIRED");
        Map<PostStore.Key, Post> byPost =
            posts.load(
                db,
                failed.stream()
                    .map(j -> new PostStore.Key(j.tenantId(), j.postId()))
                    .distinct()
                    .toList());
        List<JobStore.OutboxEntry> outbox = new ArrayList<>();
        Map<ConnectionStore.Key, Integer> jobsPerConnection = new HashMap<>();
        for (Job j : failed) {
          ConnectionStore.Key key = new ConnectionStore.Key(j.tenantId(), j.connectionId());
          jobsPerConnection.merge(key, 1, Integer::sum);
          outbox.add(
              JobResults.connectionLost(
                  j,
                  byPost.get(new PostStore.Key(j.tenantId(), j.postId())),
                  "AUTH_EXPIRED",
                  expired.get(key),
                  now));
        }
        for (Map.Entry<ConnectionStore.Key, String> e : expired.entrySet()) {
          outbox.add(
              notice(
                  expiredDue.get(e.getKey()),
                  e.getValue(),
                  jobsPerConnection.getOrDefault(e.getKey(), 0),
                  now));
        }
        jobs.record(db, List.of(), outbox);
        progress.apply(db, jobs.statesByPost(db, byPost.keySet()), now);
      }
      db.commit();
    }
    return due.size();
  }

  private Outcome refresh(ConnectionStore.DueRefresh due) {
    try {
      return new Outcome(due, flows.refresh(due.platform(), due.refreshToken()), null);
    } catch (OAuthFlows.OAuthException e) {
      return new Outcome(due, null, e);
    } catch (RuntimeException e) {
      // A platform without an OAuth client configured, or an unexpected answer: try again later.
      return new Outcome(
          due,
          null,
          new OAuthFlows.OAuthException("REFRESH_FAILED", String.valueOf(e.getMessage()), true));
    }
  }

  static Duration backoff(int failures) {
    Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(failures, 10));
    return wait.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait;
  }

  /** {@code connection.expired} to the brand's admins; the id is stable for this expiry. */
  private static JobStore.OutboxEntry notice(
      ConnectionStore.DueRefresh due, String reason, int failedJobs, Instant now) {
    String requestId =
        UUID.nameUUIDFromBytes(
                (due.key().tenantId()
                        + "|"
                        + due.key().connectionId()
                        + "|expired|"
                        + due.expiresAt().toEpochMilli())
                    .getBytes(StandardCharsets.UTF_8))
            .toString();
    Map<String, String> data = new LinkedHashMap<>();
    data.put("connectionId", due.key().connectionId());
    data.put("brandId", due.brandId());
    data.put("platform", due.platform());
    data.put("account", due.accountName() != null ? due.accountName() : due.accountId());
    data.put("reason", reason);
    data.put("failedJobs", Integer.toString(failedJobs));
    NotificationRequested request =
        NotificationRequested.newBuilder()
            .setEventId(requestId)
            .setTenantId(due.key().tenantId())
            .setOccurredAt(now)
            .setRequestId(requestId)
            .setRequestedBy("publishing-service")
            .setAudience(
                Audience.newBuilder()
                    .setUserIds(List.of())
                    .setRoles(List.of("admin:" + due.brandId()))
                    .build())
            .setChannels(NOTICE_CHANNELS)
            .setCategory(EXPIRED_CATEGORY)
            .setTemplate(
                TemplateRef.newBuilder().setTemplateId(EXPIRED_CATEGORY).setLocale(null).build())
            .setData(data)
            .build();
    return JobResults.entry(TopicCatalog.NOTIFICATION_REQUESTS.name(), requestId, request);
  }

  private void count(String platform, String result) {
    meters
        .counter("herald.publishing.token.refreshes", "platform", platform, "result", result)
        .increment();
  }
}
