package io.herald.support.kafka;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.transaction.KafkaTransactionManager;

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
   *     predecessor's open transactions at once instead of waiting for the transaction timeout
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
    this.transactionManager = new KafkaTransactionManager<>(producerFactory);
  }

  public KafkaTemplate<String, Object> template() {
    return template;
  }

  public KafkaTransactionManager<String, Object> transactionManager() {
    return transactionManager;
  }

  @Override
  public void destroy() {
    producerFactory.destroy();
  }
}
