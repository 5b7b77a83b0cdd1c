package io.herald.support.kafka;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.serializer.DelegatingByTypeSerializer;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Kafka defaults of every Herald service: topic declaration from the catalog, dead-lettering of
 * records that cannot be processed, and a broker health check for readiness.
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@EnableConfigurationProperties(HeraldKafkaProperties.class)
public class HeraldKafkaConfiguration {

  private static final Logger log = LoggerFactory.getLogger(HeraldKafkaConfiguration.class);

  /** Dead letters wait for an operator longer than live records. */
  static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(30);

  @Bean
  KafkaAdmin.NewTopics heraldTopics(HeraldKafkaProperties properties) {
    Optional<Short> replication =
        properties.replicationFactor() > 0
            ? Optional.of((short) properties.replicationFactor())
            : Optional.empty();
    List<NewTopic> topics = new ArrayList<>();
    if (properties.owner() != null) {
      for (TopicSpec spec : TopicCatalog.ownedBy(properties.owner())) {
        topics.add(
            new NewTopic(spec.name(), Optional.of(spec.partitions()), replication)
                .configs(
                    Map.of(
                        TopicConfig.RETENTION_MS_CONFIG,
                        Long.toString(spec.retention().toMillis()),
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        spec.cleanupPolicy().kafkaValue())));
      }
    }
    for (String source : properties.deadLetterTopics()) {
      TopicSpec spec =
          TopicCatalog.byName(source)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "herald.kafka.dead-letter-topics names " + source + ", not in catalog"));
      topics.add(
          new NewTopic(spec.deadLetterTopic(), Optional.of(spec.partitions()), replication)
              .configs(
                  Map.of(
                      TopicConfig.RETENTION_MS_CONFIG,
                      Long.toString(DEAD_LETTER_RETENTION.toMillis()))));
    }
    log.info("Declaring topics {}", topics.stream().map(NewTopic::name).toList());
    return new KafkaAdmin.NewTopics(topics.toArray(NewTopic[]::new));
  }

  /**
   * The template that publishes to retry and dead-letter topics, both for {@code @RetryableTopic}
   * listeners (spring-kafka looks it up by this bean name) and for the blocking error handler. Avro
   * records are written through the registry; records that could not be deserialized are written
   * back as their original bytes.
   */
  @Bean(name = "defaultRetryTopicKafkaTemplate")
  KafkaTemplate<String, Object> defaultRetryTopicKafkaTemplate(
      ProducerFactory<Object, Object> producerFactory) {
    Map<Class<?>, Serializer<?>> serializers = new LinkedHashMap<>();
    serializers.put(byte[].class, new ByteArraySerializer());
    serializers.put(SpecificRecord.class, new AvroKafkaSerializer<>());
    DefaultKafkaProducerFactory<String, Object> factory =
        new DefaultKafkaProducerFactory<>(
            producerFactory.getConfigurationProperties(),
            new StringSerializer(),
            new DelegatingByTypeSerializer(serializers, true));
    KafkaTemplate<String, Object> template = new KafkaTemplate<>(factory);
    // Observed like the service's own template: one timer with the same tag keys, and the dead
    // letter carries the trace of the record that failed.
    template.setObservationEnabled(true);
    return template;
  }

  /**
   * Retries a failing record a few times in place, then publishes it to {@code <topic>-dlt} with
   * spring-kafka's {@code kafka_dlt-*} headers (exception class, message, original topic,
   * partition, offset) and moves on. Records that cannot be deserialized and {@link
   * PoisonRecordException}s are dead-lettered at once.
   */
  @Bean
  @ConditionalOnMissingBean(CommonErrorHandler.class)
  DefaultErrorHandler heraldErrorHandler(
      KafkaTemplate<String, Object> defaultRetryTopicKafkaTemplate,
      HeraldKafkaProperties properties) {
    DeadLetterPublishingRecoverer recoverer =
        new DeadLetterPublishingRecoverer(defaultRetryTopicKafkaTemplate);
    DefaultErrorHandler handler =
        new DefaultErrorHandler(
            recoverer, new FixedBackOff(500L, properties.deliveryAttempts() - 1L));
    handler.addNotRetryableExceptions(PoisonRecordException.class);
    return handler;
  }

  /**
   * Registers the contracts of the service's own topics once it is up, retrying in the background
   * while the registry cannot be reached (producers register on first use in any case).
   */
  @Bean
  @ConditionalOnProperty(name = "herald.kafka.owner")
  org.springframework.context.ApplicationListener<
          org.springframework.boot.context.event.ApplicationReadyEvent>
      heraldSchemaRegistration(
          HeraldKafkaProperties properties,
          @org.springframework.beans.factory.annotation.Value("${herald.registry-url}")
              String registryUrl) {
    SchemaRegistration registration = new SchemaRegistration(registryUrl);
    return ready ->
        reactor.core.publisher.Mono.fromCallable(() -> registration.register(properties.owner()))
            .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())
            .retryWhen(
                reactor.util.retry.Retry.backoff(20, Duration.ofSeconds(1))
                    .maxBackoff(Duration.ofSeconds(30))
                    .doBeforeRetry(
                        retry ->
                            log.warn(
                                "Registering topic contracts failed, retrying: {}",
                                retry.failure().getMessage())))
            .subscribe(
                subjects -> {}, e -> log.error("Topic contracts not registered: {}", e.toString()));
  }

  @Bean(destroyMethod = "close")
  AdminClient heraldHealthAdminClient(KafkaAdmin admin) {
    return AdminClient.create(admin.getConfigurationProperties());
  }

  @Bean(name = "kafkaHealthIndicator")
  KafkaHealthIndicator kafkaHealthIndicator(AdminClient heraldHealthAdminClient) {
    return new KafkaHealthIndicator(heraldHealthAdminClient, Duration.ofSeconds(3));
  }
}
