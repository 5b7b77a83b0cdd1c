package io.herald.publishing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.herald.publishing.connections.ConnectionStore;
import io.herald.publishing.connections.OAuthFlows;
import io.herald.publishing.connections.OAuthSettings;
import io.herald.publishing.connections.TokenCipher;
import io.herald.publishing.connections.TokenRefresher;
import io.herald.publishing.jobs.JobMetrics;
import io.herald.publishing.jobs.JobRunner;
import io.herald.publishing.jobs.JobStore;
import io.herald.publishing.jobs.OutboxRelay;
import io.herald.publishing.platforms.FacebookClient;
import io.herald.publishing.platforms.LinkedInClient;
import io.herald.publishing.platforms.PlatformClient;
import io.herald.publishing.platforms.XClient;
import io.herald.publishing.posts.PostProgress;
import io.herald.publishing.posts.PostStore;
import io.herald.support.kafka.DeadLetters;
import io.herald.support.kafka.TransactionalKafka;
import io.herald.support.tracing.RecordTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The consumers' database pool, transactional producer and batch listener factory; the token
 * cipher, the platform clients, the job runner and the outbox relay.
 */
@Configuration
@EnableConfigurationProperties({PublishingProperties.class, OAuthSettings.class})
class PublishingConfiguration {

  @Bean(destroyMethod = "close")
  HikariDataSource publishingDataSource(Environment environment, PublishingProperties properties) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("publishing");
    config.setJdbcUrl(environment.getRequiredProperty("spring.datasource.url"));
    config.setUsername(environment.getProperty("spring.datasource.username"));
    config.setPassword(environment.getProperty("spring.datasource.password"));
    config.setAutoCommit(false);
    // A batch's inserts become multi-row statements.
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    config.setMaximumPoolSize(2 * properties.concurrency() + 2);
    config.setMinimumIdle(1);
    return new HikariDataSource(config);
  }

  @Bean
  TokenCipher tokenCipher(PublishingProperties properties) {
    Map<String, String> keys = new HashMap<>();
    properties
        .tokenKeys()
        .forEach(
            (id, key) -> {
              if (key != null && !key.isBlank()) {
                keys.put(id, key);
              }
            });
    if (properties.activeTokenKey() == null || !keys.containsKey(properties.activeTokenKey())) {
      throw new IllegalStateException(
          "Platform tokens are encrypted at rest: set herald.publishing.token-keys (PUBLISHING_TOKEN_KEY,"
              + " 32 random bytes in base64) and herald.publishing.active-token-key");
    }
    return TokenCipher.fromBase64(keys, properties.activeTokenKey());
  }

  @Bean
  XClient xClient(
      WebClient.Builder webClients, JsonMapper json, Clock clock, PublishingProperties properties) {
    return new XClient(
        webClient(webClients, "x", properties.platformUrl("X"), properties),
        json,
        clock,
        properties.jobs().callTimeout());
  }

  @Bean
  LinkedInClient linkedInClient(
      WebClient.Builder webClients, JsonMapper json, Clock clock, PublishingProperties properties) {
    return new LinkedInClient(
        webClient(webClients, "linkedin", properties.platformUrl("LINKEDIN"), properties),
        json,
        clock,
        properties.jobs().callTimeout(),
        properties.linkedinVersion());
  }

  @Bean
  FacebookClient facebookClient(
      WebClient.Builder webClients, JsonMapper json, Clock clock, PublishingProperties properties) {
    return new FacebookClient(
        webClient(webClients, "facebook", properties.platformUrl("FACEBOOK"), properties),
        json,
        clock,
        properties.jobs().callTimeout());
  }

  /** A platform's own connection pool, as large as the calls a runner has in flight. */
  private static WebClient webClient(
      WebClient.Builder builder, String name, String baseUrl, PublishingProperties properties) {
    ConnectionProvider pool =
        ConnectionProvider.builder(name)
            .maxConnections(properties.jobs().inFlight())
            .pendingAcquireMaxCount(-1)
            .maxIdleTime(Duration.ofSeconds(30))
            .build();
    HttpClient http = HttpClient.create(pool).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000);
    return builder.baseUrl(baseUrl).clientConnector(new ReactorClientHttpConnector(http)).build();
  }

  @Bean
  JobRunner jobRunner(
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
    return new JobRunner(
        dataSource,
        jobs,
        posts,
        progress,
        connections,
        clients,
        properties,
        clock,
        meters,
        tracing);
  }

  @Bean
  TokenRefresher tokenRefresher(
      DataSource dataSource,
      ConnectionStore connections,
      JobStore jobs,
      PostStore posts,
      PostProgress progress,
      OAuthFlows flows,
      OAuthSettings settings,
      Clock clock,
      MeterRegistry meters) {
    return new TokenRefresher(
        dataSource, connections, jobs, posts, progress, flows, settings, clock, meters);
  }

  @Bean
  OutboxRelay outboxRelay(
      DataSource dataSource, TransactionalKafka kafka, PublishingProperties properties) {
    return new OutboxRelay(dataSource, kafka, properties.jobs().pollInterval());
  }

  @Bean
  JobMetrics jobMetrics(DataSource dataSource, MeterRegistry meters, List<PlatformClient> clients) {
    return new JobMetrics(
        dataSource,
        meters,
        clients.stream().map(PlatformClient::platform).toList(),
        Duration.ofSeconds(15));
  }

  @Bean
  OAuthFlows oauthFlows(OAuthSettings settings, JsonMapper json, Clock clock) {
    return new OAuthFlows(settings, json, clock);
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  @Bean
  TransactionalKafka publishingKafka(
      ProducerFactory<Object, Object> base, PublishingProperties properties) {
    return new TransactionalKafka(
        base, properties.instanceId() + "-publishing-", properties.transactionTimeout());
  }

  @Bean
  DeadLetters deadLetters(TransactionalKafka kafka, MeterRegistry meters) {
    return new DeadLetters(kafka, meters, "herald.publishing.dead-lettered");
  }

  @Bean
  ConcurrentKafkaListenerContainerFactory<String, Object> publishingListenerFactory(
      ConsumerFactory<String, Object> consumerFactory,
      TransactionalKafka kafka,
      PublishingProperties properties) {
    return kafka.batchListenerFactory(
        consumerFactory,
        properties.concurrency(),
        properties.instanceId(),
        id -> properties.maxBatch());
  }
}
