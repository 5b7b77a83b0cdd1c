package io.herald.worker;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.herald.events.catalog.TopicSpec;
import io.herald.support.kafka.TransactionalKafka;
import io.herald.support.tracing.RecordTracing;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.ProducerFactory;

/**
 * Runs a channel worker on the skeleton once the worker declares its {@link DeliveryChannel} and
 * {@link DeliveryProvider}s: the listener containers, the retry and dead-letter topics, the ledger,
 * circuit breakers and rate limiters with their metrics.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration",
      "io.herald.support.kafka.HeraldKafkaConfiguration"
    })
@ConditionalOnBean(DeliveryChannel.class)
@EnableConfigurationProperties(WorkerProperties.class)
public class WorkerConfiguration {

  @Bean
  DeliveryLedger deliveryLedger(DataSource dataSource) {
    return new DeliveryLedger(dataSource);
  }

  @Bean
  CircuitBreakerRegistry deliveryCircuitBreakers(MeterRegistry meters) {
    CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
    return registry;
  }

  @Bean
  RateLimiterRegistry deliveryRateLimiters(MeterRegistry meters) {
    RateLimiterRegistry registry = RateLimiterRegistry.ofDefaults();
    TaggedRateLimiterMetrics.ofRateLimiterRegistry(registry).bindTo(meters);
    return registry;
  }

  @Bean
  TransactionalKafka workerKafka(
      ProducerFactory<Object, Object> base, WorkerProperties properties) {
    return new TransactionalKafka(
        base, properties.instanceId() + "-worker-", properties.transactionTimeout());
  }

  @Bean(destroyMethod = "shutdown")
  ExecutorService deliveryFailoverExecutor() {
    return Executors.newCachedThreadPool(
        r -> {
          Thread t = new Thread(r, "delivery-failover");
          t.setDaemon(true);
          return t;
        });
  }

  @Bean
  @SuppressWarnings({"unchecked", "rawtypes"})
  DeliveryProcessor<?> deliveryProcessor(
      DeliveryChannel<?> channel,
      List<DeliveryProvider<?>> providers,
      DeliveryLedger ledger,
      TransactionalKafka workerKafka,
      WorkerProperties properties,
      CircuitBreakerRegistry deliveryCircuitBreakers,
      RateLimiterRegistry deliveryRateLimiters,
      MeterRegistry meters,
      ExecutorService deliveryFailoverExecutor,
      RecordTracing tracing) {
    DeliveryMetrics metrics = new DeliveryMetrics(meters, channel.channel());
    Map<String, GuardedProvider<?>> guarded = new LinkedHashMap<>();
    for (DeliveryProvider<?> provider : providers) {
      guarded.put(
          provider.name(),
          new GuardedProvider(
              provider,
              properties.provider(provider.name()),
              deliveryCircuitBreakers,
              deliveryRateLimiters,
              metrics,
              tracing));
    }
    return new DeliveryProcessor(
        (DeliveryChannel<SpecificRecord>) channel,
        guarded,
        ledger,
        workerKafka.template(),
        properties,
        metrics,
        deliveryFailoverExecutor,
        tracing,
        Clock.systemUTC());
  }

  @Bean
  DeliveryWorker deliveryWorker(
      DeliveryProcessor<?> processor,
      ConsumerFactory<String, Object> consumerFactory,
      TransactionalKafka workerKafka,
      @Value("${spring.application.name}") String groupId,
      DeliveryLedger ledger,
      WorkerProperties properties) {
    return new DeliveryWorker(
        processor, consumerFactory, workerKafka.transactionManager(), groupId, ledger, properties);
  }

  /** The retry topics and the dead-letter topic, with the channel topic's partition count. */
  @Bean
  KafkaAdmin.NewTopics deliveryTopics(DeliveryChannel<?> channel, DeliveryProcessor<?> processor) {
    TopicSpec spec = channel.topic();
    List<NewTopic> topics = new ArrayList<>();
    for (String retryTopic : processor.retryTopics()) {
      topics.add(
          new NewTopic(retryTopic, Optional.of(spec.partitions()), Optional.empty())
              .configs(
                  Map.of(
                      TopicConfig.RETENTION_MS_CONFIG,
                      Long.toString(spec.retention().toMillis()))));
    }
    topics.add(
        new NewTopic(processor.deadLetterTopic(), Optional.of(spec.partitions()), Optional.empty())
            .configs(
                Map.of(
                    TopicConfig.RETENTION_MS_CONFIG,
                    Long.toString(java.time.Duration.ofDays(30).toMillis()))));
    return new KafkaAdmin.NewTopics(topics.toArray(NewTopic[]::new));
  }
}
