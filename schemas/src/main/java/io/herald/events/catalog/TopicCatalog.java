package io.herald.events.catalog;

import io.herald.events.v1.ContactPointInvalid;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublishFailed;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.ContentRejected;
import io.herald.events.v1.DeliveryDelivered;
import io.herald.events.v1.DeliveryFailed;
import io.herald.events.v1.DeliveryRead;
import io.herald.events.v1.DeliverySent;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemArchived;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.InboxItemUnarchived;
import io.herald.events.v1.InboxItemsRead;
import io.herald.events.v1.InboxItemsSeen;
import io.herald.events.v1.InboxItemsUnread;
import io.herald.events.v1.NotificationChunkRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PostUpdated;
import io.herald.events.v1.PublishCancelRequested;
import io.herald.events.v1.PublishRequested;
import io.herald.events.v1.PublishRetryRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.events.v1.SubscriberUpdated;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every Kafka topic of Herald: its name, key, value types and settings. Topic names are contracts;
 * a change of meaning gets a new {@code .vN} topic.
 *
 * <p>Example: the owner of a topic declares it from here, e.g. {@code
 * TopicCatalog.NOTIFICATION_REQUESTS.partitions()} is the partition count to create.
 */
public final class TopicCatalog {

  private static final Duration WEEK = Duration.ofDays(7);
  private static final Duration MONTH = Duration.ofDays(30);

  public static final TopicSpec CONTENT_APPROVALS =
      new TopicSpec(
          "content.approvals.v1",
          KeyType.POST_ID,
          List.of(
              PostCreated.class,
              PostUpdated.class,
              PostSubmitted.class,
              ContentApproved.class,
              ContentRejected.class),
          3,
          MONTH,
          CleanupPolicy.DELETE,
          Owner.GATEWAY_SERVICE);

  public static final TopicSpec PUBLISHING_REQUESTS =
      new TopicSpec(
          "publishing.requests.v1",
          KeyType.POST_ID,
          List.of(
              PublishRequested.class, PublishCancelRequested.class, PublishRetryRequested.class),
          3,
          MONTH,
          CleanupPolicy.DELETE,
          Owner.GATEWAY_SERVICE);

  public static final TopicSpec PUBLISHING_RESULTS =
      new TopicSpec(
          "publishing.results.v1",
          KeyType.JOB_ID,
          List.of(ContentPublished.class, ContentPublishFailed.class),
          3,
          MONTH,
          CleanupPolicy.DELETE,
          Owner.PUBLISHING_SERVICE);

  public static final TopicSpec NOTIFICATION_REQUESTS =
      new TopicSpec(
          "notification.requests.v1",
          KeyType.REQUEST_ID,
          List.of(NotificationRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.GATEWAY_SERVICE);

  public static final TopicSpec NOTIFICATION_EMAIL =
      new TopicSpec(
          "notification.email.v1",
          KeyType.USER_ID,
          List.of(EmailDeliveryRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_WHATSAPP =
      new TopicSpec(
          "notification.whatsapp.v1",
          KeyType.USER_ID,
          List.of(WhatsAppDeliveryRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_PUSH =
      new TopicSpec(
          "notification.push.v1",
          KeyType.USER_ID,
          List.of(PushDeliveryRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_DELIVERY_STATUS =
      new TopicSpec(
          "notification.delivery-status.v1",
          KeyType.NOTIFICATION_ID,
          List.of(
              DeliverySent.class,
              DeliveryFailed.class,
              DeliveryDelivered.class,
              DeliveryRead.class,
              ContactPointInvalid.class),
          3,
          MONTH,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_INBOX =
      new TopicSpec(
          "notification.inbox.v1",
          KeyType.USER_ID,
          List.of(
              InboxItemCreated.class,
              InboxItemsRead.class,
              InboxItemsUnread.class,
              InboxItemsSeen.class,
              InboxItemArchived.class,
              InboxItemUnarchived.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  /**
   * Who can be notified: the latest profile per subscriber, kept forever by compaction; a tombstone
   * deletes. Identity teams and Herald's subscriber API write here; notification-service keeps its
   * store from it.
   */
  public static final TopicSpec NOTIFICATION_SUBSCRIBERS =
      new TopicSpec(
          "notification.subscribers.v1",
          KeyType.TENANT_USER,
          List.of(SubscriberUpdated.class),
          3,
          TopicSpec.FOREVER,
          CleanupPolicy.COMPACT,
          Owner.NOTIFICATION_SERVICE);

  /**
   * Internal: the pages of a large audience, so that one request to 100,000 users spreads over
   * partitions and instances and a crash resumes at the chunk rather than at the start.
   */
  public static final TopicSpec NOTIFICATION_FANOUT_CHUNKS =
      new TopicSpec(
          "notification.fanout-chunks.v1",
          KeyType.REQUEST_CHUNK,
          List.of(NotificationChunkRequested.class),
          6,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  /** All topics, in the order of the design's catalog. */
  public static final List<TopicSpec> ALL =
      List.of(
          CONTENT_APPROVALS,
          PUBLISHING_REQUESTS,
          PUBLISHING_RESULTS,
          NOTIFICATION_REQUESTS,
          NOTIFICATION_EMAIL,
          NOTIFICATION_WHATSAPP,
          NOTIFICATION_PUSH,
          NOTIFICATION_DELIVERY_STATUS,
          NOTIFICATION_INBOX,
          NOTIFICATION_SUBSCRIBERS,
          NOTIFICATION_FANOUT_CHUNKS);

  private TopicCatalog() {}

  /** The topics a service declares at start-up. */
  public static List<TopicSpec> ownedBy(Owner owner) {
    return ALL.stream().filter(topic -> topic.owner() == owner).toList();
  }

  public static Optional<TopicSpec> byName(String name) {
    return ALL.stream().filter(topic -> topic.name().equals(name)).findFirst();
  }
}
