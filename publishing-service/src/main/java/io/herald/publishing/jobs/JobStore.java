package io.herald.publishing.jobs;

import io.herald.publishing.connections.ConnectionStore;
import io.herald.publishing.posts.PostStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Set-based statements on jobs, their attempts and the outbox: each call is one statement (batched
 * inserts and updates become multi-row statements on the connection).
 */
@Component
public class JobStore {

  /** What an attempt came to, as the job, the audit log and the outbox record it. */
  public record Finished(
      Job job,
      JobState state,
      Instant nextDueAt,
      String platformPostId,
      String url,
      String errorCode,
      String error,
      Integer statusCode,
      String request,
      Instant startedAt,
      int durationMillis,
      Instant checkSince) {}

  /** An event waiting on the outbox. */
  public record OutboxEntry(String topic, String key, String type, byte[] payload) {}

  private static final String COLUMNS =
      "job_id, tenant_id, post_id, brand_id, connection_id, platform, state, due_at, attempt,"
          + " max_attempts, requested_by, trace_parent";

  public void insert(Connection db, Collection<Job> jobs) throws SQLException {
    if (jobs.isEmpty()) {
      return;
    }
    try (PreparedStatement insert =
        db.prepareStatement(
            "insert into publishing_jobs ("
                + COLUMNS
                + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (job_id) do nothing")) {
      for (Job j : jobs) {
        insert.setString(1, j.jobId());
        insert.setString(2, j.tenantId());
        insert.setString(3, j.postId());
        insert.setString(4, j.brandId());
        insert.setString(5, j.connectionId());
        insert.setString(6, j.platform());
        insert.setString(7, j.state().wire());
        insert.setTimestamp(8, Timestamp.from(j.dueAt()));
        insert.setInt(9, j.attempt());
        insert.setInt(10, j.maxAttempts());
        insert.setString(11, j.requestedBy());
        insert.setString(12, j.traceParent());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /**
   * Takes up to {@code limit} due jobs for {@code owner} under a lease: scheduled, pending or
   * retrying jobs whose time has come, and running jobs whose lease expired (their instance died
   * mid-attempt). Rows another instance is claiming are skipped, so no job is claimed twice.
   *
   * <p>A job claimed from {@code running} may have posted before its instance died: it comes back
   * with {@link Job#checkSince()} set to {@code callWindow} before that attempt was claimed (or
   * earlier, if an earlier attempt's outcome was already in doubt).
   */
  public List<Job> claim(
      Connection db, String owner, int limit, Duration lease, Duration callWindow, Instant now)
      throws SQLException {
    List<Job> claimed = new ArrayList<>();
    try (PreparedStatement update =
        db.prepareStatement(
            """
            with due as (
              select job_id from publishing_jobs
               where (state in ('scheduled', 'pending', 'retrying') and due_at <= ?)
                  or (state = 'running' and lease_until < ?)
               order by due_at
               limit ?
               for update skip locked)
            update publishing_jobs j
               set state = 'running', attempt = j.attempt + 1, lease_owner = ?, lease_until = ?,
                   updated_at = ?,
                   check_since = case when j.state = 'running'
                                      then coalesce(j.check_since,
                                                    j.updated_at - ? * interval '1 second')
                                      else j.check_since end
              from due
             where j.job_id = due.job_id
            returning j.job_id, j.tenant_id, j.post_id, j.brand_id, j.connection_id, j.platform,
                      j.state, j.due_at, j.attempt, j.max_attempts, j.requested_by, j.check_since,
                      j.trace_parent
            """)) {
      Timestamp at = Timestamp.from(now);
      update.setTimestamp(1, at);
      update.setTimestamp(2, at);
      update.setInt(3, limit);
      update.setString(4, owner);
      update.setTimestamp(5, Timestamp.from(now.plus(lease)));
      update.setTimestamp(6, at);
      update.setLong(7, callWindow.toSeconds());
      try (ResultSet rows = update.executeQuery()) {
        while (rows.next()) {
          claimed.add(job(rows));
        }
      }
    }
    return claimed;
  }

  /** Records attempts: the jobs' new state, one audit row each, and the result events. */
  public void record(Connection db, List<Finished> finished, List<OutboxEntry> outbox)
      throws SQLException {
    if (!finished.isEmpty()) {
      try (PreparedStatement update =
          db.prepareStatement(
              """
              update publishing_jobs
                 set state = ?, due_at = coalesce(?, due_at), platform_post_id = ?, url = ?,
                     error_code = ?, error = ?, lease_owner = null, lease_until = null,
                     check_since = ?, updated_at = now()
               where job_id = ? and attempt = ?
              """)) {
        for (Finished f : finished) {
          update.setString(1, f.state().wire());
          update.setTimestamp(2, f.nextDueAt() == null ? null : Timestamp.from(f.nextDueAt()));
          update.setString(3, f.platformPostId());
          update.setString(4, f.url());
          update.setString(5, f.errorCode());
          update.setString(6, f.error());
          update.setTimestamp(7, f.checkSince() == null ? null : Timestamp.from(f.checkSince()));
          update.setString(8, f.job().jobId());
          update.setInt(9, f.job().attempt());
          update.addBatch();
        }
        update.executeBatch();
      }
      try (PreparedStatement insert =
          db.prepareStatement(
              """
              insert into publishing_attempts (job_id, attempt, tenant_id, post_id, brand_id,
                platform, actor, request, status_code, outcome, error_code, error, started_at,
                duration_ms)
              values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              on conflict (job_id, attempt) do nothing
              """)) {
        for (Finished f : finished) {
          Job j = f.job();
          insert.setString(1, j.jobId());
          insert.setInt(2, j.attempt());
          insert.setString(3, j.tenantId());
          insert.setString(4, j.postId());
          insert.setString(5, j.brandId());
          insert.setString(6, j.platform());
          insert.setString(7, j.requestedBy());
          insert.setString(8, f.request());
          if (f.statusCode() == null || f.statusCode() == 0) {
            insert.setNull(9, java.sql.Types.INTEGER);
          } else {
            insert.setInt(9, f.statusCode());
          }
          insert.setString(10, f.state().wire());
          insert.setString(11, f.errorCode());
          insert.setString(12, f.error());
          insert.setTimestamp(13, Timestamp.from(f.startedAt()));
          insert.setInt(14, f.durationMillis());
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
    if (!outbox.isEmpty()) {
      try (PreparedStatement insert =
          db.prepareStatement(
              "insert into publishing_outbox (topic, record_key, event_type, payload)"
                  + " values (?, ?, ?, ?)")) {
        for (OutboxEntry e : outbox) {
          insert.setString(1, e.topic());
          insert.setString(2, e.key());
          insert.setString(3, e.type());
          insert.setBytes(4, e.payload());
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
  }

  /** The state of every job of each post. */
  public Map<PostStore.Key, List<JobState>> statesByPost(
      Connection db, Collection<PostStore.Key> posts) throws SQLException {
    Map<PostStore.Key, List<JobState>> states = new HashMap<>();
    if (posts.isEmpty()) {
      return states;
    }
    try (PreparedStatement select =
        db.prepareStatement(
            """
            select j.tenant_id, j.post_id, j.state from publishing_jobs j
            join unnest(?::text[], ?::text[]) as k(tenant_id, post_id)
              on j.tenant_id = k.tenant_id and j.post_id = k.post_id
            """)) {
      select.setArray(
          1, db.createArrayOf("text", posts.stream().map(PostStore.Key::tenantId).toArray()));
      select.setArray(
          2, db.createArrayOf("text", posts.stream().map(PostStore.Key::postId).toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          states
              .computeIfAbsent(
                  new PostStore.Key(rows.getString(1), rows.getString(2)), k -> new ArrayList<>())
              .add(JobState.fromWire(rows.getString(3)));
        }
      }
    }
    return states;
  }

  /** Cancels the posts' jobs that have not started; returns how many. */
  public int cancelWaiting(Connection db, Collection<PostStore.Key> posts) throws SQLException {
    if (posts.isEmpty()) {
      return 0;
    }
    try (PreparedStatement update =
        db.prepareStatement(
            """
            update publishing_jobs j set state = 'cancelled', updated_at = now()
              from unnest(?::text[], ?::text[]) as k(tenant_id, post_id)
             where j.tenant_id = k.tenant_id and j.post_id = k.post_id
               and j.state in ('scheduled', 'pending', 'retrying')
            """)) {
      update.setArray(
          1, db.createArrayOf("text", posts.stream().map(PostStore.Key::tenantId).toArray()));
      update.setArray(
          2, db.createArrayOf("text", posts.stream().map(PostStore.Key::postId).toArray()));
      return update.executeUpdate();
    }
  }

  /**
   * Fails the connections' jobs that have not started, for good: their connection can no longer
   * publish. Returns them as they were claimed last (attempt unchanged).
   */
  public List<Job> failWaiting(Connection db, Map<ConnectionStore.Key, String> reasons, String code)
      throws SQLException {
    List<Job> failed = new ArrayList<>();
    if (reasons.isEmpty()) {
      return failed;
    }
    List<ConnectionStore.Key> keys = new ArrayList<>(reasons.keySet());
    try (PreparedStatement update =
        db.prepareStatement(
            """
            update publishing_jobs j set state = 'failed', error_code = ?, error = k.reason,
                   updated_at = now()
              from unnest(?::text[], ?::text[], ?::text[]) as k(tenant_id, connection_id, reason)
             where j.tenant_id = k.tenant_id and j.connection_id = k.connection_id
               and j.state in ('scheduled', 'pending', 'retrying')
            returning j.job_id, j.tenant_id, j.post_id, j.brand_id, j.connection_id, j.platform,
                      j.state, j.due_at, j.attempt, j.max_attempts, j.requested_by, j.check_since,
                      j.trace_parent
            """)) {
      update.setString(1, code);
      update.setArray(
          2, db.createArrayOf("text", keys.stream().map(ConnectionStore.Key::tenantId).toArray()));
      update.setArray(
          3,
          db.createArrayOf("text", keys.stream().map(ConnectionStore.Key::connectionId).toArray()));
      update.setArray(4, db.createArrayOf("text", keys.stream().map(reasons::get).toArray()));
      try (ResultSet rows = update.executeQuery()) {
        while (rows.next()) {
          failed.add(job(rows));
        }
      }
    }
    return failed;
  }

  /** The jobs among {@code jobIds}, by id. */
  public Map<String, Job> find(Connection db, Collection<String> jobIds) throws SQLException {
    Map<String, Job> found = new HashMap<>();
    if (jobIds.isEmpty()) {
      return found;
    }
    try (PreparedStatement select =
        db.prepareStatement(
            "select " + COLUMNS + ", check_since from publishing_jobs where job_id = any(?)")) {
      select.setArray(1, db.createArrayOf("text", jobIds.toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          Job job = job(rows);
          found.put(job.jobId(), job);
        }
      }
    }
    return found;
  }

  /**
   * Makes failed jobs due again, each with {@code attempts} more attempts. A job that failed
   * because the platform would not let it check for an earlier attempt's post ({@code
   * CANNOT_VERIFY}) posts without checking: the user who retries it has looked.
   */
  public void retry(Connection db, Collection<String> jobIds, Instant now, int attempts)
      throws SQLException {
    if (jobIds.isEmpty()) {
      return;
    }
    try (PreparedStatement update =
        db.prepareStatement(
            """
            update publishing_jobs set state = 'pending', due_at = ?, max_attempts = attempt + ?,
                   check_since = case when error_code = 'CANNOT_VERIFY' then null
                                      else check_since end,
                   error_code = null, error = null, updated_at = now()
             where job_id = any(?) and state = 'failed'
            """)) {
      update.setTimestamp(1, Timestamp.from(now));
      update.setInt(2, attempts);
      update.setArray(3, db.createArrayOf("text", jobIds.toArray()));
      update.executeUpdate();
    }
  }

  private static Job job(ResultSet row) throws SQLException {
    return new Job(
        row.getString("job_id"),
        row.getString("tenant_id"),
        row.getString("post_id"),
        row.getString("brand_id"),
        row.getString("connection_id"),
        row.getString("platform"),
        JobState.fromWire(row.getString("state")),
        row.getTimestamp("due_at").toInstant(),
        row.getInt("attempt"),
        row.getInt("max_attempts"),
        row.getString("requested_by"),
        checkSince(row),
        row.getString("trace_parent"));
  }

  private static Instant checkSince(ResultSet row) throws SQLException {
    Timestamp since = row.getTimestamp("check_since");
    return since == null ? null : since.toInstant();
  }
}
