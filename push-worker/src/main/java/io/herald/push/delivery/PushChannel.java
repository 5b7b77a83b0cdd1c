package io.herald.push.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.Channel;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.worker.DeliveryChannel;
import io.herald.worker.DeliveryRef;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * {@code notification.push.v1} on the worker skeleton: an {@code FCM} device goes to FCM, a {@code
 * WEB_PUSH} subscription to its push service. A record of another platform, or a Web Push one
 * without its keys, is dead-lettered as invalid.
 */
@Component
class PushChannel implements DeliveryChannel<PushDeliveryRequested> {

  static final String FCM = "FCM";
  static final String WEB_PUSH = "WEB_PUSH";

  @Override
  public Channel channel() {
    return Channel.PUSH;
  }

  @Override
  public TopicSpec topic() {
    return TopicCatalog.NOTIFICATION_PUSH;
  }

  @Override
  public Class<PushDeliveryRequested> type() {
    return PushDeliveryRequested.class;
  }

  @Override
  public DeliveryRef ref(PushDeliveryRequested delivery) {
    String platform = delivery.getPlatform();
    if (!FCM.equals(platform) && !WEB_PUSH.equals(platform)) {
      throw new IllegalArgumentException("platform '" + platform + "' is neither FCM nor WEB_PUSH");
    }
    if (WEB_PUSH.equals(platform) && delivery.getWebPush() == null) {
      throw new IllegalArgumentException("a WEB_PUSH delivery needs the subscription's keys");
    }
    return new DeliveryRef(
        delivery.getDeliveryId(),
        delivery.getNotificationId(),
        delivery.getTenantId(),
        delivery.getUserId(),
        delivery.getCategory(),
        delivery.getDeviceToken());
  }

  @Override
  public List<String> providers(
      PushDeliveryRequested delivery, DeliveryRef ref, List<String> configured) {
    return List.of(FCM.equals(delivery.getPlatform()) ? FcmProvider.NAME : WebPushProvider.NAME);
  }
}
