package io.herald.notification.fanout;

import io.herald.events.v1.NotificationRequested;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Consumes {@code notification.requests.v1}; failures end on {@code notification.requests.v1-dlt}.
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
      groupId = "notification-service")
  void onNotificationRequested(NotificationRequested request) {
    fanOut.handle(request);
  }
}
