package io.herald.publishing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.herald.support.kafka.DeadLetters;
import io.herald.support.kafka.TransactionalKafka;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;

/** The consumers' database pool, transactional producer and batch listener factory. */
@Configuration
@EnableConfigurationProperties(PublishingProperties.class)
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
