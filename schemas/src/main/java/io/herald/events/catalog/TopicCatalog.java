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
import io.herald.events.v1.NotificationCancelRequested;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every Kafka topic of Herald: its name, key, value types and settings. Topic names are contracts;
 * a change of meaning gets a new {@code .vN} topic.
 *
 * <p>Example: the owner of a topic declares it from here, e.g. {@code
 * TopicCatalog.NOTIFICATION_REQUESTS.partitions()} is the partition count to create.
 */
public final class TopicCatalog {

  /**
   * The topic names as compile-time constants, for annotations such as {@code @KafkaListener(topics
   * = TopicCatalog.Names.NOTIFICATION_REQUESTS)}; each name is written here only.
   */
  public static final class Names {
    public static final String CONTENT_APPROVALS = "content.approvals.v1";
    public static final String PUBLISHING_REQUESTS = "publishing.requests.v1";
    public static final String PUBLISHING_RESULTS = "publishing.results.v1";
    public static final String NOTIFICATION_REQUESTS = "notification.requests.v1";
    public static final String NOTIFICATION_EMAIL = "notification.email.v1";
    public static final String NOTIFICATION_WHATSAPP = "notification.whatsapp.v1";
    public static final String NOTIFICATION_PUSH = "notification.push.v1";
    public static final String NOTIFICATION_DELIVERY_STATUS = "notification.delivery-status.v1";
    public static final String NOTIFICATION_INBOX = "notification.inbox.v1";
    public static final String NOTIFICATION_SUBSCRIBERS = "notification.subscribers.v1";
    public static final String NOTIFICATION_FANOUT_CHUNKS = "notification.fanout-chunks.v1";

    private Names() {}
  }

  private static final Duration WEEK = Duration.ofDays(7);
  private static final Duration MONTH = Duration.ofDays(30);

  public static final TopicSpec CONTENT_APPROVALS =
      new TopicSpec(
          Names.CONTENT_APPROVALS,
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
          Names.PUBLISHING_REQUESTS,
          KeyType.POST_ID,
          List.of(
              PublishRequested.class, PublishCancelRequested.class, PublishRetryRequested.class),
          3,
          MONTH,
          CleanupPolicy.DELETE,
          Owner.GATEWAY_SERVICE);

  public static final TopicSpec PUBLISHING_RESULTS =
      new TopicSpec(
          Names.PUBLISHING_RESULTS,
          KeyType.JOB_ID,
          List.of(ContentPublished.class, ContentPublishFailed.class),
          3,
          MONTH,
          CleanupPolicy.DELETE,
          Owner.PUBLISHING_SERVICE);

  public static final TopicSpec NOTIFICATION_REQUESTS =
      new TopicSpec(
          Names.NOTIFICATION_REQUESTS,
          KeyType.REQUEST_ID,
          List.of(NotificationRequested.class, NotificationCancelRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.GATEWAY_SERVICE);

  public static final TopicSpec NOTIFICATION_EMAIL =
      new TopicSpec(
          Names.NOTIFICATION_EMAIL,
          KeyType.USER_ID,
          List.of(EmailDeliveryRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_WHATSAPP =
      new TopicSpec(
          Names.NOTIFICATION_WHATSAPP,
          KeyType.USER_ID,
          List.of(WhatsAppDeliveryRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_PUSH =
      new TopicSpec(
          Names.NOTIFICATION_PUSH,
          KeyType.USER_ID,
          List.of(PushDeliveryRequested.class),
          3,
          WEEK,
          CleanupPolicy.DELETE,
          Owner.NOTIFICATION_SERVICE);

  public static final TopicSpec NOTIFICATION_DELIVERY_STATUS =
      new TopicSpec(
          Names.NOTIFICATION_DELIVERY_STATUS,
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
          Names.NOTIFICATION_INBOX,
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
          Names.NOTIFICATION_SUBSCRIBERS,
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
          Names.NOTIFICATION_FANOUT_CHUNKS,
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

  /** Herald's services, by the names the AsyncAPI document tags operations with. */
  public static final String GATEWAY = "gateway-service";

  public static final String NOTIFICATION = "notification-service";
  public static final String PUBLISHING = "publishing-service";
  public static final String EMAIL_WORKER = "email-worker";
  public static final String WHATSAPP_WORKER = "whatsapp-worker";
  public static final String PUSH_WORKER = "push-worker";

  /**
   * Who writes and reads a topic.
   *
   * @param producers Herald's services that produce to it
   * @param consumers Herald's services that consume it
   * @param externalProducers whether teams outside Herald produce to it too
   */
  public record Flow(Set<String> producers, Set<String> consumers, boolean externalProducers) {}

  private static final Map<String, Flow> FLOWS =
      Map.ofEntries(
          Map.entry(
              Names.CONTENT_APPROVALS,
              new Flow(Set.of(GATEWAY), Set.of(PUBLISHING, NOTIFICATION), false)),
          Map.entry(
              Names.PUBLISHING_REQUESTS, new Flow(Set.of(GATEWAY), Set.of(PUBLISHING), false)),
          Map.entry(
              Names.PUBLISHING_RESULTS, new Flow(Set.of(PUBLISHING), Set.of(NOTIFICATION), false)),
          Map.entry(
              Names.NOTIFICATION_REQUESTS, new Flow(Set.of(GATEWAY), Set.of(NOTIFICATION), true)),
          Map.entry(
              Names.NOTIFICATION_EMAIL,
              new Flow(Set.of(NOTIFICATION), Set.of(EMAIL_WORKER), false)),
          Map.entry(
              Names.NOTIFICATION_WHATSAPP,
              new Flow(Set.of(NOTIFICATION), Set.of(WHATSAPP_WORKER), false)),
          Map.entry(
              Names.NOTIFICATION_PUSH, new Flow(Set.of(NOTIFICATION), Set.of(PUSH_WORKER), false)),
          Map.entry(
              Names.NOTIFICATION_DELIVERY_STATUS,
              new Flow(
                  Set.of(EMAIL_WORKER, WHATSAPP_WORKER, PUSH_WORKER, GATEWAY),
                  Set.of(NOTIFICATION),
                  false)),
          Map.entry(
              Names.NOTIFICATION_INBOX,
              new Flow(Set.of(NOTIFICATION), Set.of(NOTIFICATION), false)),
          Map.entry(
              Names.NOTIFICATION_SUBSCRIBERS,
              new Flow(Set.of(NOTIFICATION), Set.of(NOTIFICATION), true)),
          Map.entry(
              Names.NOTIFICATION_FANOUT_CHUNKS,
              new Flow(Set.of(NOTIFICATION), Set.of(NOTIFICATION), false)));

  /** Who produces to and consumes {@code topic}. */
  public static Flow flowOf(TopicSpec topic) {
    return FLOWS.get(topic.name());
  }

  /** The names of the topics {@code service} consumes. */
  public static Set<String> consumedBy(String service) {
    Set<String> topics = new java.util.TreeSet<>();
    FLOWS.forEach(
        (topic, flow) -> {
          if (flow.consumers().contains(service)) {
            topics.add(topic);
          }
        });
    return topics;
  }

  /** The topics a service declares at start-up. */
  public static List<TopicSpec> ownedBy(Owner owner) {
    return ALL.stream().filter(topic -> topic.owner() == owner).toList();
  }

  public static Optional<TopicSpec> byName(String name) {
    return ALL.stream().filter(topic -> topic.name().equals(name)).findFirst();
  }
}
