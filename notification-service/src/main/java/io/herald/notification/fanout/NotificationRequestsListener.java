package io.herald.notification.fanout;

import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Consumes {@code notification.requests.v1} in batches; records that cannot be processed end on
 * {@code notification.requests.v1-dlt}.
 */
@Component
class NotificationRequestsListener {

  private final FanOut fanOut;

  NotificationRequestsListener(FanOut fanOut) {
    this.fanOut = fanOut;
  }

  @KafkaListener(
      id = "notification-requests",
      topics = "notification.requests.v1",
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory",
      properties = {
        "max.poll.records=${herald.fanout.max-batch:500}",
        // Static membership: an instance restarted after a crash takes its partitions back at once
        // instead of waiting for the session of its previous life to time out.
        "group.instance.id=${herald.fanout.instance-id:notification-1}-requests"
      })
  void onNotificationRequests(
      List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    fanOut.onRequests(records, consumer);
  }
}
