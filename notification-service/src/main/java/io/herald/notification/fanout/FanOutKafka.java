package io.herald.notification.fanout;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.transaction.KafkaTransactionManager;

/**
 * The transactional producer of the fan-out. Records it sends from a listener join the listener's
 * Kafka transaction, which also commits the consumed offsets: a batch's inbox events, channel
 * deliveries, chunks and dead letters become visible together with its offsets, or not at all.
 *
 * <p>Kept out of the context as plain Kafka types so that Boot's default (non-transactional)
 * template and listener factory stay as they are for everything else.
 */
public final class FanOutKafka implements DisposableBean {

  private final DefaultKafkaProducerFactory<String, Object> producerFactory;
  private final KafkaTemplate<String, Object> template;
  private final KafkaTransactionManager<String, Object> transactionManager;

  FanOutKafka(DefaultKafkaProducerFactory<String, Object> producerFactory) {
    this.producerFactory = producerFactory;
    this.template = new KafkaTemplate<>(producerFactory);
    this.transactionManager = new KafkaTransactionManager<>(producerFactory);
  }

  public KafkaTemplate<String, Object> template() {
    return template;
  }

  KafkaTransactionManager<String, Object> transactionManager() {
    return transactionManager;
  }

  @Override
  public void destroy() {
    producerFactory.destroy();
  }
}
