package io.herald.worker;

import io.herald.events.v1.Channel;
import io.herald.support.events.DeliveryEvents;

/**
 * What the worker skeleton needs to know of any channel's delivery record.
 *
 * @param contact the address, phone number or device token the delivery goes to
 */
public record DeliveryRef(
    String deliveryId,
    String notificationId,
    String tenantId,
    String userId,
    String category,
    String contact) {

  public DeliveryRef {
    require(deliveryId, "deliveryId");
    require(notificationId, "notificationId");
    require(tenantId, "tenantId");
    require(userId, "userId");
    require(contact, "contact");
  }

  DeliveryEvents.Subject subject(Channel channel) {
    return new DeliveryEvents.Subject(tenantId, notificationId, deliveryId, userId, channel);
  }

  private static void require(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("delivery has no " + name);
    }
  }
}
