package io.herald.notification.fanout;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.herald.notification.subscribers.AudienceRepository;
import io.herald.support.kafka.DeadLetters;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wiring of the fan-out: a JDBC pool for its set-based statements (the HTTP side keeps R2DBC), a
 * transactional producer, and batch listener containers whose Kafka transaction covers the records
 * produced and the offsets consumed.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(FanOutProperties.class)
class FanOutConfiguration {

  @Bean(destroyMethod = "close")
  HikariDataSource fanOutDataSource(
      Environment environment,
      FanOutProperties properties,
      io.herald.notification.digests.DigestProperties digests) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("fanout");
    config.setJdbcUrl(environment.getRequiredProperty("spring.datasource.url"));
    config.setUsername(environment.getProperty("spring.datasource.username"));
    config.setPassword(environment.getProperty("spring.datasource.password"));
    config.setAutoCommit(false);
    // Four listeners (requests, chunks, contact points, delivery activity), each with its consumer
    // threads, one connection apiece; the loop that sends notifications held for later, and the
    // digest runner's rounds.
    config.setMaximumPoolSize(4 * properties.concurrency() + 2 + digests.concurrency());
    config.setMinimumIdle(1);
    return new HikariDataSource(config);
  }

  @Bean
  AudienceRepository audienceRepository() {
    return new AudienceRepository();
  }

  @Bean
  FanOutStore fanOutStore(JsonMapper json) {
    return new FanOutStore(json);
  }

  @Bean
  FanOutKafka fanOutKafka(ProducerFactory<Object, Object> base, FanOutProperties properties) {
    return new FanOutKafka(
        base, properties.instanceId() + "-fanout-", properties.transactionTimeout());
  }

  @Bean
  DeadLetters deadLetters(FanOutKafka kafka, MeterRegistry meters) {
    return new DeadLetters(kafka, meters, "herald.fanout.dead-lettered");
  }

  @Bean
  ConcurrentKafkaListenerContainerFactory<String, Object> fanOutListenerFactory(
      ConsumerFactory<String, Object> consumerFactory,
      FanOutKafka kafka,
      FanOutProperties properties) {
    return kafka.batchListenerFactory(
        consumerFactory,
        properties.concurrency(),
        properties.instanceId(),
        listenerId ->
            FanOutChunksListener.ID.equals(listenerId)
                ? properties.chunksPerBatch()
                : properties.maxBatch());
  }
}
