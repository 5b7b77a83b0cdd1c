package io.herald.notification.fanout;

import io.herald.events.catalog.TopicCatalog;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Consumes {@code notification.fanout-chunks.v1}, the pages of large audiences. A chunk holds up to
 * a page of recipients, so a poll takes few of them.
 */
@Component
class FanOutChunksListener {

  static final String ID = "notification-fanout-chunks";

  private final FanOut fanOut;

  FanOutChunksListener(FanOut fanOut) {
    this.fanOut = fanOut;
  }

  @KafkaListener(
      id = FanOutChunksListener.ID,
      topics = TopicCatalog.Names.NOTIFICATION_FANOUT_CHUNKS,
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory")
  void onChunks(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    fanOut.onChunks(records, consumer);
  }
}
