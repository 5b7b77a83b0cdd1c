package io.herald.notification.fanout;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.herald.notification.subscribers.AudienceRepository;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.util.backoff.ExponentialBackOff;
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
  HikariDataSource fanOutDataSource(Environment environment, FanOutProperties properties) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("fanout");
    config.setJdbcUrl(environment.getRequiredProperty("spring.datasource.url"));
    config.setUsername(environment.getProperty("spring.datasource.username"));
    config.setPassword(environment.getProperty("spring.datasource.password"));
    config.setAutoCommit(false);
    // Two listeners (requests, chunks), each with its consumer threads, one connection apiece.
    config.setMaximumPoolSize(2 * properties.concurrency() + 1);
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
  ConcurrentKafkaListenerContainerFactory<String, Object> fanOutListenerFactory(
      ConsumerFactory<String, Object> consumerFactory,
      FanOutKafka kafka,
      FanOutProperties properties) {
    ConcurrentKafkaListenerContainerFactory<String, Object> factory =
        new ConcurrentKafkaListenerContainerFactory<>();
    factory.setConsumerFactory(consumerFactory);
    factory.setBatchListener(true);
    factory.setConcurrency(properties.concurrency());
    ContainerProperties container = factory.getContainerProperties();
    container.setKafkaAwareTransactionManager(kafka.transactionManager());
    container.setAckMode(ContainerProperties.AckMode.BATCH);
    // Poison records never reach this point (the listener dead-letters them inside the batch),
    // so what fails a batch is the database or the broker: retry it, never drop it.
    ExponentialBackOff backOff = new ExponentialBackOff(500, 2.0);
    backOff.setMaxInterval(10_000);
    factory.setAfterRollbackProcessor(new DefaultAfterRollbackProcessor<>(backOff));
    factory.setContainerCustomizer(
        listener -> {
          Properties consumer = listener.getContainerProperties().getKafkaConsumerProperties();
          boolean chunks = FanOutChunksListener.ID.equals(listener.getListenerId());
          consumer.setProperty(
              ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
              Integer.toString(chunks ? properties.chunksPerBatch() : properties.maxBatch()));
          // Static membership: an instance restarted after a crash takes its partitions back at
          // once instead of waiting for the session of its previous life to time out. Each
          // consumer thread gets its own suffix.
          consumer.setProperty(
              ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
              properties.instanceId() + "-" + listener.getListenerId());
        });
    return factory;
  }
}
