package io.herald.notification.fanout;

import io.herald.events.v1.Channel;
import io.herald.events.v1.FallbackStep;
import io.herald.events.v1.NotificationChunkRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.TemplateRef;
import io.herald.support.kafka.PoisonRecordException;
import java.util.List;
import java.util.Map;

/**
 * What is to be said, to whom it goes aside: the part of a request that every chunk of it shares.
 *
 * <p>Example: {@code Notification.of(request)} for a {@link NotificationRequested}; a chunk carries
 * the same fields.
 */
record Notification(
    String tenantId,
    String requestId,
    String requestedBy,
    List<Channel> channels,
    String category,
    TemplateRef template,
    String title,
    String body,
    Map<String, String> data,
    String localTime,
    List<FallbackStep> fallback) {

  Notification {
    channels = List.copyOf(channels);
    data = Map.copyOf(data);
    fallback = fallback == null ? List.of() : List.copyOf(fallback);
  }

  /**
   * @throws PoisonRecordException when the request can never be rendered as it is
   */
  static Notification of(NotificationRequested r) {
    return validated(
        new Notification(
            r.getTenantId(),
            r.getRequestId(),
            r.getRequestedBy(),
            r.getChannels(),
            r.getCategory(),
            r.getTemplate(),
            r.getTitle(),
            r.getBody(),
            r.getData(),
            r.getLocalTime(),
            r.getFallback()));
  }

  static Notification of(NotificationChunkRequested c) {
    return validated(
        new Notification(
            c.getTenantId(),
            c.getRequestId(),
            c.getRequestedBy(),
            c.getChannels(),
            c.getCategory(),
            c.getTemplate(),
            c.getTitle(),
            c.getBody(),
            c.getData(),
            c.getLocalTime(),
            c.getFallback()));
  }

  private static Notification validated(Notification n) {
    if (isBlank(n.tenantId()) || isBlank(n.requestId())) {
      throw new PoisonRecordException("notification has no tenant or request id");
    }
    if (n.template() == null && (isBlank(n.title()) || isBlank(n.body()))) {
      throw new PoisonRecordException(
          "notification " + n.requestId() + " has neither a template nor a title and body");
    }
    if (n.channels().isEmpty() && n.fallback().isEmpty()) {
      throw new PoisonRecordException(
          "notification " + n.requestId() + " names no channel and no fallback chain");
    }
    java.util.Set<Channel> steps = java.util.EnumSet.noneOf(Channel.class);
    for (FallbackStep step : n.fallback()) {
      if (step.getChannel() == Channel.IN_APP
          || step.getChannel() == Channel.UNKNOWN
          || !steps.add(step.getChannel())
          || n.channels().contains(step.getChannel())) {
        throw new PoisonRecordException(
            "notification "
                + n.requestId()
                + " has a fallback chain that is not distinct e-mail, WhatsApp and push steps"
                + " apart from its channels");
      }
    }
    if (n.localTime() != null) {
      try {
        LocalTimes.parse(n.localTime());
      } catch (java.time.format.DateTimeParseException e) {
        throw new PoisonRecordException(
            "notification " + n.requestId() + " has localTime '" + n.localTime() + "', not HH:mm");
      }
    }
    return n;
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
