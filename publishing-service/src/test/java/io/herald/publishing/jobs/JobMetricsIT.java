package io.herald.publishing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.herald.support.testing.PostgresTestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The open-jobs gauges, read from a real PostgreSQL table of jobs in every state. */
class JobMetricsIT {

  private static final PostgresTestDatabase DATABASE = PostgresTestDatabase.shared();
  private static HikariDataSource dataSource;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeAll
  static void table() {
    DATABASE.execute(
        "drop schema if exists job_metrics cascade",
        "create schema job_metrics",
        "create table job_metrics.publishing_jobs (job_id text primary key, platform text not null,"
            + " state text not null, due_at timestamptz not null)");
    dataSource = new HikariDataSource();
    dataSource.setJdbcUrl(
        "jdbc:postgresql://127.0.0.1:" + DATABASE.port() + "/postgres?currentSchema=job_metrics");
    dataSource.setUsername("postgres");
    dataSource.setMaximumPoolSize(1);
  }

  @AfterAll
  static void close() {
    dataSource.close();
  }

  @Test
  void shouldCountOpenJobsAndMeasureHowLongTheOldestDueOneWaits() throws Exception {
    DATABASE.execute(
        "insert into job_metrics.publishing_jobs values"
            + " ('a', 'X', 'pending', now() - interval '40 seconds'),"
            + " ('b', 'X', 'retrying', now() - interval '10 seconds'),"
            + " ('c', 'X', 'running', now() - interval '300 seconds'),"
            + " ('d', 'LINKEDIN', 'scheduled', now() + interval '1 hour'),"
            + " ('e', 'LINKEDIN', 'scheduled', now() + interval '2 hours'),"
            + " ('f', 'FACEBOOK', 'published', now() - interval '1 day')");
    JobMetrics metrics =
        new JobMetrics(
            dataSource, meters, List.of("X", "LINKEDIN", "FACEBOOK"), Duration.ofSeconds(15));

    metrics.refresh();

    assertThat(jobs("pending", "x")).isEqualTo(1);
    assertThat(jobs("retrying", "x")).isEqualTo(1);
    assertThat(jobs("running", "x")).isEqualTo(1);
    assertThat(jobs("scheduled", "linkedin")).isEqualTo(2);
    assertThat(jobs("scheduled", "facebook")).isZero();
    // The pending job waits longest; the running one is being worked on.
    assertThat(lag("x")).isBetween(39.0, 120.0);
    assertThat(lag("linkedin")).isZero();
    assertThat(lag("facebook")).isZero();

    DATABASE.execute("delete from job_metrics.publishing_jobs");
    metrics.refresh();

    assertThat(jobs("pending", "x")).isZero();
    assertThat(jobs("scheduled", "linkedin")).isZero();
    assertThat(lag("x")).isZero();
  }

  private double jobs(String state, String platform) {
    return meters
        .get("herald.publishing.jobs")
        .tag("state", state)
        .tag("platform", platform)
        .gauge()
        .value();
  }

  private double lag(String platform) {
    return meters.get("herald.publishing.schedule.lag").tag("platform", platform).gauge().value();
  }
}
