package io.herald.notification.inbox;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** Keeps the instance out of rotation until its live stream reads the inbox topic. */
@Component("inboxStreamHealthIndicator")
class InboxStreamHealthIndicator extends AbstractHealthIndicator {

  private final InboxEventsListener listener;
  private final InboxBroadcaster broadcaster;

  InboxStreamHealthIndicator(InboxEventsListener listener, InboxBroadcaster broadcaster) {
    this.listener = listener;
    this.broadcaster = broadcaster;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    (listener.isAssigned() ? builder.up() : builder.outOfService())
        .withDetail("openStreams", broadcaster.subscriberCount());
  }
}
