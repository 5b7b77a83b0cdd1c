package io.herald.notification.fanout;

import io.herald.support.kafka.TransactionalKafka;
import java.time.Duration;
import org.springframework.kafka.core.ProducerFactory;

/**
 * The transactional producer of the fan-out: a batch's inbox events, channel deliveries, chunks and
 * dead letters become visible together with its offsets, or not at all.
 */
public final class FanOutKafka extends TransactionalKafka {

  FanOutKafka(ProducerFactory<?, ?> base, String transactionIdPrefix, Duration timeout) {
    super(base, transactionIdPrefix, timeout);
  }
}
