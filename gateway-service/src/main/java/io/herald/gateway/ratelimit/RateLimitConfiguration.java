package io.herald.gateway.ratelimit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import reactor.core.scheduler.Schedulers;

/**
 * The rate-limit filter: after authentication (limits are per tenant), before idempotency keys (a
 * refused request touches nothing else).
 */
@Configuration(proxyBeanMethods = false)
class RateLimitConfiguration {

  /**
   * JDBC for Bucket4j (requests use R2DBC, which keeps Boot from configuring a DataSource). A
   * database that does not answer within 2 s lets the request through.
   */
  @Bean(destroyMethod = "close")
  HikariDataSource rateLimitDataSource(Environment environment) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("rate-limits");
    config.setJdbcUrl(environment.getRequiredProperty("spring.datasource.url"));
    config.setUsername(environment.getProperty("spring.datasource.username"));
    config.setPassword(environment.getProperty("spring.datasource.password"));
    config.setMaximumPoolSize(8);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    return new HikariDataSource(config);
  }

  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE + 20)
  RateLimitFilter rateLimitFilter(
      RateLimiter limiter, RateLimitProperties properties, MeterRegistry meters) {
    // Threads of their own: a task blocked elsewhere (a send waiting for broker metadata) must not
    // hold up the limit checks queued behind it on a shared scheduler.
    return new RateLimitFilter(
        limiter, properties, Schedulers.newBoundedElastic(32, 100_000, "rate-limits"), meters);
  }
}
