package io.herald.whatsapp.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.Channel;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.worker.DeliveryChannel;
import io.herald.worker.DeliveryRef;
import java.util.List;
import org.springframework.stereotype.Component;

/** {@code notification.whatsapp.v1} on the worker skeleton, sent through the Cloud API. */
@Component
class WhatsAppChannel implements DeliveryChannel<WhatsAppDeliveryRequested> {

  @Override
  public Channel channel() {
    return Channel.WHATSAPP;
  }

  @Override
  public TopicSpec topic() {
    return TopicCatalog.NOTIFICATION_WHATSAPP;
  }

  @Override
  public Class<WhatsAppDeliveryRequested> type() {
    return WhatsAppDeliveryRequested.class;
  }

  @Override
  public DeliveryRef ref(WhatsAppDeliveryRequested delivery) {
    return new DeliveryRef(
        delivery.getDeliveryId(),
        delivery.getNotificationId(),
        delivery.getTenantId(),
        delivery.getUserId(),
        delivery.getCategory(),
        delivery.getPhoneNumber());
  }

  @Override
  public List<String> providers(
      WhatsAppDeliveryRequested delivery, DeliveryRef ref, List<String> configured) {
    return configured.isEmpty() ? List.of(CloudApiProvider.NAME) : configured;
  }
}
