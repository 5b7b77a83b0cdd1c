package io.herald.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.ConsumptionProbe;
import io.herald.gateway.ratelimit.RateLimitProperties.Limit;
import io.herald.gateway.ratelimit.RateLimitProperties.Limits;
import io.herald.support.testing.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The limiter's allowance against real Bucket4j buckets in PostgreSQL: requests are admitted
 * without asking the bucket once a tenant's rate is known, and no more than the limit is ever
 * admitted, whatever the allowance took and did not use.
 */
class RateLimiterIT {

  private static DataSource buckets;

  @BeforeAll
  static void database() {
    PostgresTestDatabase postgres = PostgresTestDatabase.shared();
    postgres.execute("DROP DATABASE IF EXISTS rate_limiter_it", "CREATE DATABASE rate_limiter_it");
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setUrl("jdbc:postgresql://127.0.0.1:" + postgres.port() + "/rate_limiter_it");
    dataSource.setUser("postgres");
    dataSource.setPassword("postgres");
    buckets = dataSource;
    try (var c = buckets.getConnection();
        var s = c.createStatement()) {
      s.execute(
          "CREATE TABLE rate_limit_buckets (id text PRIMARY KEY, state bytea, expires_at bigint)");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void shouldAdmitMostRequestsFromTheAllowanceOnceTheTenantsRateIsKnown() throws Exception {
    RateLimiter limiter = limiter("busy", new Limit(100_000, Duration.ofSeconds(1)));
    int requests = 0;
    int askedTheBucket = 0;
    long end = System.nanoTime() + Duration.ofMillis(800).toNanos();
    while (System.nanoTime() < end) {
      for (int i = 0; i < 20; i++) {
        requests++;
        ConsumptionProbe probe = limiter.tryLocally("busy", EndpointClass.COMMANDS);
        if (probe == null) {
          askedTheBucket++;
          probe = limiter.tryConsume("busy", EndpointClass.COMMANDS);
        }
        assertThat(probe.isConsumed()).isTrue();
      }
      Thread.sleep(1);
    }

    assertThat(requests).isGreaterThan(1_000);
    assertThat(askedTheBucket).as("of %d requests", requests).isLessThan(requests / 5);
  }

  @Test
  void shouldNeverAdmitMoreThanTheLimitAndGiveBackWhatTheAllowanceDidNotUse() throws Exception {
    // 40 an hour: nothing comes back while the test runs; an allowance block is at most 1.
    RateLimiter limiter = limiter("steady", new Limit(40, Duration.ofHours(1)));
    List<ConsumptionProbe> admitted = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      // An odd number: each round but the first ends with a block taken and not used.
      for (int i = 0; i < 5; i++) {
        ConsumptionProbe probe = take(limiter, "steady");
        if (probe.isConsumed()) {
          admitted.add(probe);
        }
      }
      // The allowance taken in this round lapses unused.
      Thread.sleep(130);
    }
    int refused = 0;
    for (int i = 0; i < 60; i++) {
      ConsumptionProbe probe = take(limiter, "steady");
      if (probe.isConsumed()) {
        admitted.add(probe);
      } else {
        refused++;
        assertThat(probe.getNanosToWaitForRefill()).isPositive();
      }
    }

    assertThat(admitted).hasSize(40);
    assertThat(refused).isEqualTo(40);
    assertThat(admitted.get(admitted.size() - 1).getRemainingTokens()).isZero();
    assertThat(admitted).allSatisfy(p -> assertThat(p.getRemainingTokens()).isBetween(0L, 39L));
  }

  @Test
  void shouldAskTheBucketForEveryRequestWithoutSynchronization() {
    RateLimiter limiter =
        new RateLimiter(
            buckets, properties("exact", new Limit(5, Duration.ofHours(1)), Duration.ZERO));
    List<Boolean> answers = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      assertThat(limiter.tryLocally("exact", EndpointClass.COMMANDS)).isNull();
      answers.add(limiter.tryConsume("exact", EndpointClass.COMMANDS).isConsumed());
    }

    assertThat(answers).containsExactly(true, true, true, true, true, false, false);
  }

  private static ConsumptionProbe take(RateLimiter limiter, String tenant) {
    ConsumptionProbe probe = limiter.tryLocally(tenant, EndpointClass.COMMANDS);
    return probe != null ? probe : limiter.tryConsume(tenant, EndpointClass.COMMANDS);
  }

  private static RateLimiter limiter(String tenant, Limit commands) {
    return new RateLimiter(buckets, properties(tenant, commands, Duration.ofMillis(100)));
  }

  private static RateLimitProperties properties(
      String tenant, Limit commands, Duration synchronization) {
    return new RateLimitProperties(
        true, null, Map.of(tenant, new Limits(commands, null, null)), synchronization);
  }
}
