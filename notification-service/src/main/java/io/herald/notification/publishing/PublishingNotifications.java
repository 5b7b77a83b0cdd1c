package io.herald.notification.publishing;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublishFailed;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.ContentRejected;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.TemplateRef;
import io.herald.notification.fanout.FanOutKafka;
import io.herald.support.kafka.DeadLetters;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Tells people what happened to their posts: review decisions on {@code content.approvals.v1} and
 * publishing results on {@code publishing.results.v1} become notification requests on {@code
 * notification.requests.v1}, in the batch's Kafka transaction, and take the ordinary way from there
 * (preferences, templates, the inbox, the channels).
 *
 * <table>
 *   <caption>What is sent to whom</caption>
 *   <tr><th>event</th><th>category (template)</th><th>audience</th></tr>
 *   <tr><td>ContentApproved</td><td>content.approved</td><td>the author</td></tr>
 *   <tr><td>ContentRejected</td><td>content.rejected</td><td>the author</td></tr>
 *   <tr><td>ContentPublished</td><td>content.published</td><td>the author, role {@code publisher:<brand>}</td></tr>
 *   <tr><td>ContentPublishFailed, not final</td><td>content.failed_to_post</td><td>the author, role {@code admin:<brand>}</td></tr>
 *   <tr><td>ContentPublishFailed, final</td><td>job.failed</td><td>the author, role {@code admin:<brand>}</td></tr>
 * </table>
 *
 * The request id derives from the event id, so a redelivered event asks for the same notification
 * and the fan-out sends it once. Events without an author (written before they carried one) and the
 * other events of these topics are skipped.
 */
@Component
class PublishingNotifications {

  static final String ID = "notification-publishing";

  private final FanOutKafka kafka;
  private final DeadLetters deadLetters;
  private final MeterRegistry meters;
  private final Clock clock = Clock.systemUTC();
  private final List<Channel> channels;

  PublishingNotifications(
      FanOutKafka kafka,
      DeadLetters deadLetters,
      MeterRegistry meters,
      @Value("${herald.publishing-notifications.channels:IN_APP,EMAIL}") List<Channel> channels) {
    this.kafka = kafka;
    this.deadLetters = deadLetters;
    this.meters = meters;
    this.channels = List.copyOf(channels);
  }

  @KafkaListener(
      id = ID,
      topics = {TopicCatalog.Names.CONTENT_APPROVALS, TopicCatalog.Names.PUBLISHING_RESULTS},
      groupId = "notification-service",
      containerFactory = "fanOutListenerFactory")
  void onPublishingEvents(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    List<NotificationRequested> requests = new ArrayList<>();
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(record, consumer, Object.class, false, this::request)
          .flatMap(r -> r)
          .ifPresent(requests::add);
    }
    for (NotificationRequested request : requests) {
      kafka
          .template()
          .send(TopicCatalog.NOTIFICATION_REQUESTS.name(), request.getRequestId(), request);
      meters
          .counter("herald.notification.publishing.requested", "category", request.getCategory())
          .increment();
    }
  }

  private Optional<NotificationRequested> request(Object value) {
    if (value instanceof ContentApproved e && e.getAuthorId() != null) {
      return Optional.of(
          request(
              e.getEventId(),
              e.getTenantId(),
              "content.approved",
              e.getApprovedBy(),
              List.of(e.getAuthorId()),
              List.of(),
              data(
                  "postId", e.getPostId(),
                  "excerpt", e.getExcerpt(),
                  "approvedBy", e.getApprovedBy(),
                  "comment", e.getComment())));
    }
    if (value instanceof ContentRejected e && e.getAuthorId() != null) {
      return Optional.of(
          request(
              e.getEventId(),
              e.getTenantId(),
              "content.rejected",
              e.getRejectedBy(),
              List.of(e.getAuthorId()),
              List.of(),
              data(
                  "postId", e.getPostId(),
                  "excerpt", e.getExcerpt(),
                  "rejectedBy", e.getRejectedBy(),
                  "reason", e.getReason())));
    }
    if (value instanceof ContentPublished e && e.getAuthorId() != null) {
      return Optional.of(
          request(
              e.getEventId(),
              e.getTenantId(),
              "content.published",
              "publishing-service",
              List.of(e.getAuthorId()),
              e.getBrandId() == null ? List.of() : List.of("publisher:" + e.getBrandId()),
              data(
                  "postId", e.getPostId(),
                  "excerpt", e.getExcerpt(),
                  "platform", platformName(e.getPlatform()),
                  "url", e.getUrl() == null ? "" : e.getUrl(),
                  "jobId", e.getJobId())));
    }
    if (value instanceof ContentPublishFailed e && e.getAuthorId() != null) {
      return Optional.of(
          request(
              e.getEventId(),
              e.getTenantId(),
              e.getFinal$() ? "job.failed" : "content.failed_to_post",
              "publishing-service",
              List.of(e.getAuthorId()),
              e.getBrandId() == null ? List.of() : List.of("admin:" + e.getBrandId()),
              data(
                  "postId", e.getPostId(),
                  "excerpt", e.getExcerpt(),
                  "platform", platformName(e.getPlatform()),
                  "attempt", Integer.toString(e.getAttempt()),
                  "errorCode", e.getErrorCode(),
                  "reason", e.getReason(),
                  "jobId", e.getJobId())));
    }
    return Optional.empty();
  }

  private NotificationRequested request(
      String eventId,
      String tenantId,
      String category,
      String requestedBy,
      List<String> users,
      List<String> roles,
      Map<String, String> data) {
    return NotificationRequested.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenantId)
        .setOccurredAt(clock.instant())
        .setRequestId(
            UUID.nameUUIDFromBytes((eventId + "|" + category).getBytes(StandardCharsets.UTF_8))
                .toString())
        .setRequestedBy(requestedBy)
        .setAudience(Audience.newBuilder().setUserIds(users).setRoles(roles).build())
        .setChannels(channels)
        .setCategory(category)
        .setTemplate(TemplateRef.newBuilder().setTemplateId(category).setLocale(null).build())
        .setTitle(null)
        .setBody(null)
        .setData(data)
        .setIdempotencyKey(null)
        .build();
  }

  /** Key-value pairs, leaving out the ones without a value. */
  private static Map<String, String> data(String... pairs) {
    Map<String, String> data = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        data.put(pairs[i], pairs[i + 1]);
      }
    }
    if (!data.containsKey("excerpt")) {
      data.put("excerpt", "your post");
    }
    return data;
  }

  private static String platformName(String platform) {
    return switch (platform) {
      case "X" -> "X";
      case "LINKEDIN" -> "LinkedIn";
      case "FACEBOOK" -> "Facebook";
      default -> platform;
    };
  }
}
