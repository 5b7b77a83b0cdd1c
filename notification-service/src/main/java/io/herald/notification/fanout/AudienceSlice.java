package io.herald.notification.fanout;

import io.herald.events.v1.NotificationChunkRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.notification.subscribers.AudienceQuery;
import java.util.List;

/**
 * The part of a notification's audience one fan-out step handles: named users and role holders
 * whose ids lie in {@code [fromUserId, toUserId)} (null bounds are open).
 */
record AudienceSlice(List<String> userIds, List<String> roles, String fromUserId, String toUserId) {

  AudienceSlice {
    userIds = List.copyOf(userIds);
    roles = List.copyOf(roles);
  }

  static AudienceSlice whole(NotificationRequested r) {
    return new AudienceSlice(r.getAudience().getUserIds(), r.getAudience().getRoles(), null, null);
  }

  static AudienceSlice of(NotificationChunkRequested c) {
    return new AudienceSlice(c.getUserIds(), c.getRoles(), c.getFromUserId(), c.getToUserId());
  }

  AudienceQuery query(int index, String tenantId) {
    return new AudienceQuery(index, tenantId, userIds, roles, fromUserId, toUserId);
  }
}
