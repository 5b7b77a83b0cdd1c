package io.herald.notification;

import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.NotificationRequested;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Notification requests as a producer of {@code notification.requests.v1} would write them. */
public final class TestRequests {

  private TestRequests() {}

  /** A new request (fresh request id) titled "Welcome" in category "account". */
  public static NotificationRequested request(
      String tenant, List<String> users, List<String> roles, List<Channel> channels) {
    return NotificationRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setRequestId(UUID.randomUUID().toString())
        .setRequestedBy("test")
        .setAudience(new Audience(users, roles))
        .setChannels(channels)
        .setCategory("account")
        .setTitle("Welcome")
        .setBody("Hello")
        .build();
  }
}
