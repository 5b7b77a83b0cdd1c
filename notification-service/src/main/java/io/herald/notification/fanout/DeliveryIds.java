package io.herald.notification.fanout;

import io.herald.events.v1.Channel;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic ids: the same notification, user, channel (and device) always give the same id,
 * however often and by whichever instance a request is processed. Workers and the inbox drop
 * repeats by these ids.
 */
public final class DeliveryIds {

  private DeliveryIds() {}

  static UUID delivery(Notification n, String userId, Channel channel) {
    return delivery(n.tenantId(), n.requestId(), userId, channel);
  }

  /** The delivery of notification {@code requestId} to the user on the channel. */
  public static UUID delivery(String tenantId, String requestId, String userId, Channel channel) {
    return uuid(tenantId, requestId, userId, channel.name());
  }

  /** One push delivery per device: the token is part of the id. */
  static UUID pushDelivery(Notification n, String userId, String token) {
    return uuid(n.tenantId(), n.requestId(), userId, Channel.PUSH.name(), token);
  }

  static UUID inboxItem(Notification n, String userId) {
    return uuid("inbox", n.tenantId(), n.requestId(), userId);
  }

  /** The event id of a record derived from an id above, so that repeats carry the same id. */
  static String eventId(String kind, Object id) {
    return uuid(kind, id.toString()).toString();
  }

  /** A name-based id of the parts (joined by NUL): the same parts, the same id. */
  public static UUID uuid(String... parts) {
    return UUID.nameUUIDFromBytes(String.join("\u0000", parts).getBytes(StandardCharsets.UTF_8));
  }
}
