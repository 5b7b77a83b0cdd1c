package io.herald.support.kafka;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.ToIntFunction;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.transaction.KafkaTransactionManager;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * A transactional producer for batch listeners. Records sent from a listener whose container uses
 * {@link #transactionManager()} join the listener's Kafka transaction, which also commits the
 * consumed offsets: what a batch produces becomes visible together with its offsets, or not at all.
 *
 * <p>Avro records are written through the registry; {@code byte[]} values (dead letters of
 * undecodable records) are written as they are. Kept out of the context as plain Kafka types so
 * that Boot's default (non-transactional) template and listener factory stay as they are.
 *
 * <p>Example: {@code new TransactionalKafka(base, "email-1-worker-", Duration.ofMinutes(2))}.
 */
public class TransactionalKafka implements DisposableBean {

  private final DefaultKafkaProducerFactory<String, Object> producerFactory;
  private final KafkaTemplate<String, Object> template;
  private final KafkaTransactionManager<String, Object> transactionManager;

  /**
   * @param base the service's producer settings (registry, idempotence)
   * @param transactionIdPrefix stable per instance, so that a restarted instance fences its
   *     predecessor's open transactions as it uses their transactional ids again, instead of
   *     waiting for the transaction timeout. An id it does not use again (its predecessor had more
   *     transactions open at once) is aborted by the broker after the timeout: until then
   *     read_committed consumers of the partitions it wrote to see nothing past it.
   */
  public TransactionalKafka(
      ProducerFactory<?, ?> base, String transactionIdPrefix, Duration transactionTimeout) {
    Map<String, Object> config = new HashMap<>(base.getConfigurationProperties());
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) transactionTimeout.toMillis());
    Map<Class<?>, Serializer<?>> serializers = new LinkedHashMap<>();
    serializers.put(byte[].class, new ByteArraySerializer());
    serializers.put(SpecificRecord.class, new AvroKafkaSerializer<>());
    this.producerFactory =
        new DefaultKafkaProducerFactory<>(
            config,
            new StringSerializer(),
            new org.springframework.kafka.support.serializer.DelegatingByTypeSerializer(
                serializers, true));
    producerFactory.setTransactionIdPrefix(transactionIdPrefix);
    this.template = new KafkaTemplate<>(producerFactory);
    // No per-send timer: batches are timed by their listeners, and this timer's tag keys differ
    // from those of the service's observed template, so Prometheus would refuse one of the two.
    template.setMicrometerEnabled(false);
    this.transactionManager = new KafkaTransactionManager<>(producerFactory);
  }

  public KafkaTemplate<String, Object> template() {
    return template;
  }

  public KafkaTransactionManager<String, Object> transactionManager() {
    return transactionManager;
  }

  /**
   * A factory of batch listeners in this producer's transactions: offsets are committed with what
   * the batch produced; a failed batch (database or broker, never a poison record, which listeners
   * dead-letter within the batch) is rolled back and retried with backoff, never dropped. Each
   * listener gets a static group membership ({@code instanceId-listenerId}), so an instance
   * restarted after a crash takes its partitions back at once.
   *
   * @param maxPollRecords the batch size of a listener, by its id
   */
  public ConcurrentKafkaListenerContainerFactory<String, Object> batchListenerFactory(
      ConsumerFactory<String, Object> consumerFactory,
      int concurrency,
      String instanceId,
      ToIntFunction<String> maxPollRecords) {
    ConcurrentKafkaListenerContainerFactory<String, Object> factory =
        new ConcurrentKafkaListenerContainerFactory<>();
    factory.setConsumerFactory(consumerFactory);
    factory.setBatchListener(true);
    factory.setConcurrency(concurrency);
    ContainerProperties container = factory.getContainerProperties();
    container.setKafkaAwareTransactionManager(transactionManager);
    container.setAckMode(ContainerProperties.AckMode.BATCH);
    ExponentialBackOff backOff = new ExponentialBackOff(500, 2.0);
    backOff.setMaxInterval(10_000);
    factory.setAfterRollbackProcessor(new DefaultAfterRollbackProcessor<>(backOff));
    factory.setContainerCustomizer(
        listener -> {
          Properties consumer = listener.getContainerProperties().getKafkaConsumerProperties();
          consumer.setProperty(
              ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
              Integer.toString(maxPollRecords.applyAsInt(listener.getListenerId())));
          consumer.setProperty(
              ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId + "-" + listener.getListenerId());
        });
    return factory;
  }

  @Override
  public void destroy() {
    producerFactory.destroy();
  }
}
