package io.herald.gateway.notifications;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.FallbackStep;
import io.herald.events.v1.NotificationCancelRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.TemplateRef;
import io.herald.gateway.GatewayProperties;
import io.herald.gateway.commands.CommandPublisher;
import io.herald.gateway.commands.IdempotencyKeys;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.validation.Valid;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /api/notifications}: validates the command, turns it into a {@link
 * NotificationRequested} event for the caller's tenant and answers {@code 202} once the broker has
 * it.
 *
 * <p>An {@code Idempotency-Key} header makes retries safe: the same key from the same user of the
 * same tenant always yields the same request id, and notification-service delivers a request id
 * only once.
 *
 * <p>A notification for later ({@code sendAt} or {@code delay}) is held by notification-service
 * until it is due; {@code DELETE /api/notifications/requests/{requestId}} asks to cancel it before
 * then.
 */
@RestController
class NotificationCommandController {

  static final String SENDER = "sender";
  static final String ADMIN = "admin";
  private static final java.util.regex.Pattern REQUEST_ID =
      java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final CommandPublisher publisher;
  private final Clock clock;
  private final Counter accepted;
  private final int senderAudienceLimit;
  private final Duration scheduleHorizon;

  NotificationCommandController(
      CommandPublisher publisher, GatewayProperties properties, MeterRegistry meters) {
    this.publisher = publisher;
    this.senderAudienceLimit = properties.senderAudienceLimit();
    this.scheduleHorizon = properties.scheduleHorizon();
    this.clock = Clock.systemUTC();
    this.accepted =
        Counter.builder("herald.gateway.notifications.accepted")
            .description("Notification requests acknowledged by the broker")
            .register(meters);
  }

  @PostMapping(
      path = "/api/notifications",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<NotificationAccepted>> send(
      @Valid @RequestBody SendNotificationRequest request,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      HeraldPrincipal caller) {
    IdempotencyKeys.check(idempotencyKey);
    requireSenderForLargeAudiences(request.recipients(), caller);
    Instant now = clock.instant();
    Instant sendAt = scheduled(request, now);
    NotificationRequested event = toEvent(request, idempotencyKey, caller, now, sendAt);
    return publisher
        .publish(TopicCatalog.NOTIFICATION_REQUESTS, event.getRequestId(), event)
        .doOnSuccess(ignored -> accepted.increment())
        .thenReturn(
            ResponseEntity.status(HttpStatus.ACCEPTED)
                .body(
                    request.localTime() != null
                        ? NotificationAccepted.atLocalTime(
                            event.getRequestId(), request.localTime())
                        : sendAt == null
                            ? NotificationAccepted.of(event.getRequestId())
                            : NotificationAccepted.scheduled(event.getRequestId(), sendAt)));
  }

  /**
   * Asks notification-service to cancel a notification held for later. The answer only says the
   * request to cancel was accepted: whether it came before the notification was due shows in the
   * request's activity ({@code schedule.status} {@code CANCELLED}, or {@code SENT} when it was too
   * late). The request's sender may cancel it, and an admin of the tenant any request.
   */
  @DeleteMapping(
      path = "/api/notifications/requests/{requestId}",
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<NotificationAccepted>> cancel(
      @PathVariable String requestId,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      HeraldPrincipal caller) {
    IdempotencyKeys.check(idempotencyKey);
    if (!REQUEST_ID.matcher(requestId).matches()) {
      throw ApiException.invalid(
          List.of(
              Map.of(
                  "field",
                  "requestId",
                  "message",
                  "a request id is 1-128 letters, digits, '.', '_', ':' or '-'")));
    }
    NotificationCancelRequested event =
        NotificationCancelRequested.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(caller.tenantId())
            .setOccurredAt(clock.instant())
            .setRequestId(requestId)
            .setRequestedBy(caller.userId())
            .setAsAdmin(caller.hasRole(ADMIN))
            .build();
    return publisher
        .publish(TopicCatalog.NOTIFICATION_REQUESTS, requestId, event)
        .thenReturn(
            ResponseEntity.status(HttpStatus.ACCEPTED)
                .body(NotificationAccepted.cancelRequested(requestId)));
  }

  /** When the notification is due, or null for at once; refuses times past the horizon. */
  private Instant scheduled(SendNotificationRequest request, Instant now) {
    Instant at = request.deliverAt(now);
    if (at == null || !at.isAfter(now)) {
      return null;
    }
    if (at.isAfter(now.plus(scheduleHorizon))) {
      throw ApiException.invalid(
          List.of(
              Map.of(
                  "field",
                  request.sendAt() != null ? "sendAt" : "delay",
                  "message",
                  "a notification can be scheduled at most "
                      + scheduleHorizon.toDays()
                      + " days ahead")));
    }
    return at;
  }

  /** A role, or more than {@code senderAudienceLimit} users, needs the {@code sender} role. */
  private void requireSenderForLargeAudiences(
      SendNotificationRequest.Recipients recipients, HeraldPrincipal caller) {
    if (caller.hasRole(SENDER)) {
      return;
    }
    if (recipients.roles() != null && !recipients.roles().isEmpty()) {
      throw ApiException.missingRole(SENDER, "Sending to a role needs the sender role.");
    }
    List<String> users = distinct(recipients.userIds());
    if (users.size() > senderAudienceLimit) {
      throw ApiException.missingRole(
          SENDER,
          "Sending to more than "
              + senderAudienceLimit
              + " users needs the sender role ("
              + users.size()
              + " named).");
    }
  }

  private NotificationRequested toEvent(
      SendNotificationRequest request,
      String idempotencyKey,
      HeraldPrincipal caller,
      Instant now,
      Instant sendAt) {
    String requestId = requestId(caller, idempotencyKey);
    SendNotificationRequest.Recipients recipients = request.recipients();
    return NotificationRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(caller.tenantId())
        .setOccurredAt(now)
        .setRequestId(requestId)
        .setRequestedBy(caller.userId())
        .setAudience(
            Audience.newBuilder()
                .setUserIds(distinct(recipients.userIds()))
                .setRoles(distinct(recipients.roles()))
                .build())
        .setChannels(
            request.channels() == null
                ? List.of()
                : request.channels().stream().distinct().map(Channel::valueOf).toList())
        .setCategory(request.category())
        .setTemplate(
            request.template() == null
                ? null
                : TemplateRef.newBuilder()
                    .setTemplateId(request.template().id())
                    .setLocale(request.template().locale())
                    .build())
        .setTitle(request.title())
        .setBody(request.body())
        .setData(request.data() == null ? Map.of() : Map.copyOf(request.data()))
        .setIdempotencyKey(idempotencyKey)
        .setSendAt(sendAt)
        .setLocalTime(request.localTime())
        .setFallback(
            request.fallback() == null
                ? null
                : request.fallback().stream()
                    .map(
                        step ->
                            FallbackStep.newBuilder()
                                .setChannel(Channel.valueOf(step.channel()))
                                .setWaitMillis(
                                    step.waitFor() == null ? 0 : step.waitFor().toMillis())
                                .build())
                    .toList())
        .build();
  }

  static String requestId(HeraldPrincipal caller, String idempotencyKey) {
    return IdempotencyKeys.id(caller, idempotencyKey);
  }

  private static List<String> distinct(List<String> values) {
    return values == null ? List.of() : values.stream().distinct().toList();
  }
}
