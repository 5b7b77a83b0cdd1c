package io.herald.publishing.jobs;

import io.herald.support.polling.PollingLoop;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The publishing jobs not yet finished, as gauges read from the database every {@code interval}
 * (one grouped query on the open jobs' partial index, not one per scrape):
 *
 * <ul>
 *   <li>{@code herald_publishing_jobs{state,platform}}: jobs scheduled, pending, running or
 *       retrying (finished jobs are counted by the attempts' timer);
 *   <li>{@code herald_publishing_schedule_lag_seconds{platform}}: how long the oldest due job has
 *       been waiting (now − its due time), 0 when none is due. Growing lag means the runners do not
 *       keep up, or cannot reach the platform.
 * </ul>
 */
public class JobMetrics extends PollingLoop {

  static final List<String> OPEN_STATES = List.of("scheduled", "pending", "running", "retrying");

  private static final String OPEN_JOBS =
      """
      select state, platform, count(*),
             coalesce(extract(epoch from now() - min(due_at) filter (where due_at <= now())), 0)
        from publishing_jobs
       where state in ('scheduled', 'pending', 'running', 'retrying')
       group by state, platform
      """;

  private final DataSource dataSource;
  private final MeterRegistry meters;
  private final Map<String, AtomicLong> jobs = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lagMillis = new ConcurrentHashMap<>();

  public JobMetrics(
      DataSource dataSource, MeterRegistry meters, List<String> platforms, Duration interval) {
    super("publishing-job-metrics", interval, Duration.ofSeconds(5));
    this.dataSource = dataSource;
    this.meters = meters;
    for (String platform : platforms) {
      for (String state : OPEN_STATES) {
        jobsOf(state, platform);
      }
      lagOf(platform);
    }
  }

  @Override
  protected boolean runOnce() throws SQLException {
    refresh();
    return false;
  }

  void refresh() throws SQLException {
    Map<String, Long> counts = new HashMap<>();
    Map<String, Long> lags = new HashMap<>();
    try (Connection db = dataSource.getConnection();
        PreparedStatement select = db.prepareStatement(OPEN_JOBS);
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        String state = rows.getString(1);
        String platform = rows.getString(2).toLowerCase(Locale.ROOT);
        counts.put(state + '/' + platform, rows.getLong(3));
        if (!state.equals("running")) {
          // A running job is being worked on; the others wait.
          lags.merge(platform, Math.round(rows.getDouble(4) * 1000), Math::max);
        }
      }
    }
    // Gauges of states and platforms without open jobs go to 0 rather than vanish.
    jobs.forEach((key, gauge) -> gauge.set(counts.getOrDefault(key, 0L)));
    counts.forEach((key, count) -> jobsOf(key.split("/")[0], key.split("/")[1]).set(count));
    lagMillis.forEach((platform, gauge) -> gauge.set(lags.getOrDefault(platform, 0L)));
    lags.forEach((platform, lag) -> lagOf(platform).set(lag));
  }

  private AtomicLong jobsOf(String state, String platform) {
    String key = state + '/' + platform.toLowerCase(Locale.ROOT);
    return jobs.computeIfAbsent(
        key,
        ignored -> {
          AtomicLong value = new AtomicLong();
          Gauge.builder("herald.publishing.jobs", value, AtomicLong::get)
              .description("Publishing jobs not finished yet, by state and platform")
              .tag("state", state)
              .tag("platform", platform.toLowerCase(Locale.ROOT))
              .register(meters);
          return value;
        });
  }

  private AtomicLong lagOf(String platform) {
    String key = platform.toLowerCase(Locale.ROOT);
    return lagMillis.computeIfAbsent(
        key,
        ignored -> {
          AtomicLong value = new AtomicLong();
          Gauge.builder("herald.publishing.schedule.lag", value, millis -> millis.get() / 1000.0)
              .description("How long the oldest due publishing job has waited past its due time")
              .baseUnit("seconds")
              .tag("platform", key)
              .register(meters);
          return value;
        });
  }
}
