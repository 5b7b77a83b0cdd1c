package io.herald.notification.fanout;

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

  private final FanOut fanOut;

  FanOutChunksListener(FanOut fanOut) {
    this.fanOut = fanOut;
  }

  @KafkaListener(
      id = "notification-fanout-chunks",
      topics = "notification.fanout-chunks.v1",
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory",
      properties = {
        "max.poll.records=${herald.fanout.chunks-per-batch:4}",
        "group.instance.id=${herald.fanout.instance-id:notification-1}-chunks"
      })
  void onChunks(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    fanOut.onChunks(records, consumer);
  }
}
