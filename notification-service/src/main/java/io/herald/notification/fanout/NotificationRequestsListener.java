package io.herald.notification.fanout;

import io.herald.events.catalog.TopicCatalog;
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

  static final String ID = "notification-requests";

  private final FanOut fanOut;

  NotificationRequestsListener(FanOut fanOut) {
    this.fanOut = fanOut;
  }

  @KafkaListener(
      id = NotificationRequestsListener.ID,
      topics = TopicCatalog.Names.NOTIFICATION_REQUESTS,
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory")
  void onNotificationRequests(
      List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    fanOut.onRequests(records, consumer);
  }
}
