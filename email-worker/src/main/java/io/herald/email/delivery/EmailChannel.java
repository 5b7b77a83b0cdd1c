package io.herald.email.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.worker.DeliveryChannel;
import io.herald.worker.DeliveryRef;
import org.springframework.stereotype.Component;

/**
 * {@code notification.email.v1} on the worker skeleton. The providers are tried in the order {@code
 * herald.worker.provider-order} gives (per tenant under {@code herald.worker.tenants}): when the
 * first one's circuit is open or it fails transiently, the next one gets the mail.
 */
@Component
class EmailChannel implements DeliveryChannel<EmailDeliveryRequested> {

  @Override
  public Channel channel() {
    return Channel.EMAIL;
  }

  @Override
  public TopicSpec topic() {
    return TopicCatalog.NOTIFICATION_EMAIL;
  }

  @Override
  public Class<EmailDeliveryRequested> type() {
    return EmailDeliveryRequested.class;
  }

  @Override
  public DeliveryRef ref(EmailDeliveryRequested delivery) {
    return new DeliveryRef(
        delivery.getDeliveryId(),
        delivery.getNotificationId(),
        delivery.getTenantId(),
        delivery.getUserId(),
        delivery.getCategory(),
        delivery.getTo());
  }
}
