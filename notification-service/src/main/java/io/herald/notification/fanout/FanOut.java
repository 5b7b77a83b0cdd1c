package io.herald.notification.fanout;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationCancelRequested;
import io.herald.events.v1.NotificationChunkRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.events.v1.WebPushKeys;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.notification.activity.ActivityStore;
import io.herald.notification.digests.DigestFrequency;
import io.herald.notification.digests.DigestSettings;
import io.herald.notification.digests.DigestStore;
import io.herald.notification.fanout.FanOutStore.NewInboxItem;
import io.herald.notification.preferences.PreferenceReader;
import io.herald.notification.preferences.PreferenceReader.Preferences;
import io.herald.notification.scheduling.ScheduledNotifications;
import io.herald.notification.subscribers.AudiencePages;
import io.herald.notification.subscribers.AudienceQuery;
import io.herald.notification.subscribers.AudienceRepository;
import io.herald.notification.subscribers.Recipient;
import io.herald.notification.subscribers.Recipient.PushContact;
import io.herald.notification.templates.TemplateEngine;
import io.herald.notification.templates.TemplateEngine.Rendered;
import io.herald.notification.templates.TemplateReader;
import io.herald.support.events.DeliveryEvents;
import io.herald.support.kafka.DeadLetters;
import io.herald.support.kafka.PoisonRecordException;
import io.herald.support.tracing.RecordTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import javax.sql.DataSource;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Fans a batch of requests (or chunks of large requests) out to inboxes and channel topics, the way
 * every Herald consumer works: set-based reads, one multi-row write per batch, records sent
 * asynchronously and awaited together, all inside the listener's Kafka transaction that also
 * commits the consumed offsets (see {@code docs/processing-model.md}).
 *
 * <p>Once-only where the user can see it: inbox items are unique per tenant, user and notification;
 * an item's {@link InboxItemCreated} is published in the same transaction as the offsets, and a
 * batch that stored items but never committed its events publishes them when it is processed again
 * (the item remembers which record created it). Channel deliveries and chunks are committed exactly
 * once per consumed record; a request submitted twice yields the same delivery ids, which the
 * workers' ledgers drop.
 */
@Service
class FanOut {

  private static final Logger log = LoggerFactory.getLogger(FanOut.class);

  private final DataSource dataSource;
  private final AudienceRepository audience;
  private final FanOutStore store;
  private final ActivityStore activity;
  private final FanOutKafka kafka;
  private final DeadLetters deadLetters;
  private final PreferenceReader preferences;
  private final TemplateReader templates;
  private final TemplateEngine engine;
  private final FanOutProperties properties;
  private final MeterRegistry meters;
  private final RecordTracing tracing;
  private final ScheduledNotifications scheduled;
  private final DigestStore digests;
  private final Clock clock;

  FanOut(
      DataSource fanOutDataSource,
      AudienceRepository audience,
      FanOutStore store,
      ActivityStore activity,
      FanOutKafka kafka,
      DeadLetters deadLetters,
      PreferenceReader preferences,
      TemplateReader templates,
      TemplateEngine engine,
      FanOutProperties properties,
      MeterRegistry meters,
      RecordTracing tracing,
      ScheduledNotifications scheduled,
      DigestStore digests,
      Clock clock) {
    this.dataSource = fanOutDataSource;
    this.audience = audience;
    this.store = store;
    this.activity = activity;
    this.kafka = kafka;
    this.deadLetters = deadLetters;
    this.preferences = preferences;
    this.templates = templates;
    this.engine = engine;
    this.properties = properties;
    this.meters = meters;
    this.tracing = tracing;
    this.scheduled = scheduled;
    this.digests = digests;
    this.clock = clock;
  }

  /**
   * A batch of {@code notification.requests.v1}: requests due now are fanned out, requests for
   * later are held ({@link ScheduledNotifications}), and cancellations applied, all in the batch's
   * transaction.
   */
  void onRequests(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    java.time.Instant now = clock.instant();
    Schedules schedules = new Schedules();
    process(
        records,
        consumer,
        SpecificRecord.class,
        (record, value) -> {
          if (value instanceof NotificationCancelRequested cancel) {
            if (cancel.getTenantId() == null || cancel.getRequestId() == null) {
              throw new PoisonRecordException("cancellation has no tenant or request id");
            }
            schedules.cancels.add(cancel);
            return Optional.empty();
          }
          if (!(value instanceof NotificationRequested request)) {
            throw new PoisonRecordException(
                "expected NotificationRequested or NotificationCancelRequested, got "
                    + value.getClass().getName());
          }
          // Checked now, so a request that can never be delivered is dead-lettered when it
          // arrives rather than when it is due.
          Notification notification = Notification.of(request);
          if (ScheduledNotifications.isForLater(record, request, now)) {
            schedules.held.add(new ScheduledNotifications.Held(request, ""));
            schedules.heldRequests.add(
                new ActivityStore.Request(
                    notification.tenantId(),
                    notification.requestId(),
                    notification.requestedBy(),
                    notification.category(),
                    notification.channels().stream().map(Channel::name).toList(),
                    java.time.Instant.ofEpochMilli(record.timestamp())));
            return Optional.empty();
          }
          return Optional.of(
              new FanOutWork(
                  record,
                  notification,
                  AudienceSlice.whole(request),
                  tracing.start("notification fan-out", record),
                  tracing));
        },
        true,
        schedules);
  }

  /** What a batch of requests holds for later and cancels. */
  private static final class Schedules {
    final List<ScheduledNotifications.Held> held = new ArrayList<>();
    final List<ActivityStore.Request> heldRequests = new ArrayList<>();
    final List<NotificationCancelRequested> cancels = new ArrayList<>();
  }

  /** A batch of {@code notification.fanout-chunks.v1}. */
  void onChunks(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer) {
    process(
        records,
        consumer,
        NotificationChunkRequested.class,
        (record, chunk) ->
            Optional.of(
                new FanOutWork(
                    record,
                    Notification.of(chunk),
                    AudienceSlice.of(chunk),
                    tracing.start("notification chunk fan-out", record),
                    tracing)),
        false,
        null);
  }

  /**
   * One batch: decode, split audiences over a page into chunks (requests only), resolve, write,
   * send, await. Offsets are committed by the listener's transaction after this returns.
   */
  private <T> void process(
      List<ConsumerRecord<String, Object>> records,
      Consumer<?, ?> consumer,
      Class<T> type,
      BiFunction<ConsumerRecord<String, Object>, T, Optional<FanOutWork>> toWork,
      boolean splitLargeAudiences,
      Schedules schedules) {
    Timer.Sample timer = Timer.start(meters);
    Batch batch = new Batch();
    List<FanOutWork> work = new ArrayList<>();
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(record, consumer, type, false, value -> toWork.apply(record, value))
          .flatMap(w -> w)
          .ifPresent(work::add);
    }
    try {
      fanOut(work, batch, splitLargeAudiences, schedules);
    } catch (RuntimeException e) {
      work.forEach(w -> w.span().error(e).end());
      throw e;
    }
    for (FanOutWork w : work) {
      if (log.isDebugEnabled()) {
        logFannedOut(w);
      }
      w.span().end();
    }
    String topic = records.isEmpty() ? "none" : records.get(0).topic();
    timer.stop(meters.timer("herald.fanout.batch", "topic", topic));
  }

  /** A line per notification, in its trace. */
  private void logFannedOut(FanOutWork w) {
    try (Tracer.SpanInScope scope = tracing.inScope(w.span())) {
      Notification n = w.notification();
      log.atDebug()
          .addKeyValue("tenant", n.tenantId())
          .addKeyValue("requestId", n.requestId())
          .log(
              "Fanned out notification {} to {} named users and roles {}",
              n.requestId(),
              w.slice().userIds().size(),
              w.slice().roles());
    }
  }

  private void fanOut(
      List<FanOutWork> work, Batch batch, boolean splitLargeAudiences, Schedules schedules) {
    try (Connection connection = dataSource.getConnection()) {
      if (schedules != null) {
        // Held first, then cancelled: a request and its cancellation in one batch end cancelled.
        scheduled.hold(connection, schedules.held);
        scheduled.cancel(connection, schedules.cancels);
        activity.insertRequests(connection, schedules.heldRequests);
      }
      if (splitLargeAudiences) {
        // Each request as its sender made it, once: its activity is looked up by its id.
        activity.insertRequests(
            connection,
            work.stream()
                .map(
                    w ->
                        new ActivityStore.Request(
                            w.notification().tenantId(),
                            w.notification().requestId(),
                            w.notification().requestedBy(),
                            w.notification().category(),
                            w.notification().channels().stream().map(Channel::name).toList(),
                            w.requestedAt()))
                .toList());
      }
      List<FanOutWork> inline =
          splitLargeAudiences ? splitLargeAudiences(connection, work, batch) : work;
      fanOut(connection, inline, batch);
      connection.commit();
    } catch (SQLException e) {
      throw new IllegalStateException("fan-out of a batch failed in the database; retrying", e);
    }
    batch.publishAnnounced();
    batch.await();
    batch.count();
  }

  /**
   * Requests whose audience fits one page stay in this batch; larger ones are cut into chunks on
   * the chunk topic, one page each, found with one query for the whole batch.
   */
  private List<FanOutWork> splitLargeAudiences(
      Connection connection, List<FanOutWork> planned, Batch batch) throws SQLException {
    int page = properties.pageSize();
    Map<Integer, AudienceQuery> toMeasure = new LinkedHashMap<>();
    for (int i = 0; i < planned.size(); i++) {
      AudienceSlice slice = planned.get(i).slice();
      if (!slice.roles().isEmpty() || slice.userIds().size() > page) {
        toMeasure.put(i, slice.query(i, planned.get(i).notification().tenantId()));
      }
    }
    if (toMeasure.isEmpty()) {
      return planned;
    }
    Map<Integer, AudiencePages> pages = audience.pages(connection, toMeasure.values(), page);
    List<FanOutWork> inline = new ArrayList<>();
    for (int i = 0; i < planned.size(); i++) {
      AudiencePages p = pages.get(i);
      if (p == null || p.pageCount() <= 1) {
        inline.add(planned.get(i));
      } else {
        batch.chunks(planned.get(i), p);
      }
    }
    return inline;
  }

  private void fanOut(Connection connection, List<FanOutWork> work, Batch batch)
      throws SQLException {
    if (work.isEmpty()) {
      return;
    }
    List<AudienceQuery> queries = new ArrayList<>(work.size());
    boolean push = false;
    for (int i = 0; i < work.size(); i++) {
      FanOutWork w = work.get(i);
      queries.add(w.slice().query(i, w.notification().tenantId()));
      push |=
          w.notification().channels().contains(Channel.PUSH)
              || w.notification().fallback().stream()
                  .anyMatch(step -> step.getChannel() == Channel.PUSH);
    }
    Map<Integer, List<Recipient>> recipients = audience.recipients(connection, queries, push);
    List<PreferenceReader.Key> keys = new ArrayList<>();
    for (int i = 0; i < work.size(); i++) {
      Notification n = work.get(i).notification();
      for (Recipient recipient : recipients.getOrDefault(i, List.of())) {
        keys.add(new PreferenceReader.Key(n.tenantId(), recipient.userId(), n.category()));
      }
    }
    Preferences preferences = this.preferences.load(connection, keys);
    List<TemplateReader.Key> templateKeys = new ArrayList<>();
    for (FanOutWork w : work) {
      if (w.notification().template() != null) {
        templateKeys.add(
            new TemplateReader.Key(
                w.notification().tenantId(), w.notification().template().getTemplateId()));
      }
    }
    Renderer renderer = new Renderer(engine, templates.load(connection, templateKeys));
    List<ScheduledNotifications.Held> atLocalTime = new ArrayList<>();
    for (int i = 0; i < work.size(); i++) {
      List<Recipient> found = recipients.getOrDefault(i, List.of());
      if (work.get(i).notification().localTime() != null) {
        atLocalTime.addAll(partsByLocalTime(work.get(i), found, batch.now));
        continue;
      }
      for (Recipient recipient : found) {
        batch.deliver(work.get(i), recipient, preferences, renderer);
      }
    }
    atLocalTime.addAll(quietParts(batch));
    for (FallbackHold hold : batch.fallbacks) {
      atLocalTime.add(fallbackPart(hold, batch.now));
    }
    scheduled.hold(connection, atLocalTime);
    // Channel records are on their way while the inbox is written.
    batch.announce(store.insertInboxItems(connection, batch.inboxItems.values(), clock.instant()));
    activity.insertEvents(connection, batch.activity());
    digests.collect(connection, batch.digestItems.values(), batch.digestDue);
  }

  /**
   * A request for a time of day in each recipient's zone, held in parts: the recipients of this
   * slice grouped by the instant that time next comes for them, each group a request of its own
   * (the same request id, its users named, {@code sendAt} that instant) with a deterministic part
   * key and event id, so a batch processed again holds nothing twice.
   */
  private List<ScheduledNotifications.Held> partsByLocalTime(
      FanOutWork work, List<Recipient> recipients, java.time.Instant now) {
    Notification n = work.notification();
    java.time.LocalTime time = LocalTimes.parse(n.localTime());
    Map<java.time.Instant, List<String>> byInstant = new java.util.TreeMap<>();
    for (Recipient recipient : recipients) {
      java.time.Instant at = LocalTimes.next(time, LocalTimes.zone(recipient.timeZone()), now);
      byInstant.computeIfAbsent(at, k -> new ArrayList<>()).add(recipient.userId());
    }
    String sliceKey = sliceKey(work.slice());
    List<ScheduledNotifications.Held> parts = new ArrayList<>();
    byInstant.forEach(
        (at, users) -> {
          parts.add(part(n, users, n.channels(), n.fallback(), at, at + "|" + sliceKey, now));
        });
    return parts;
  }

  /**
   * The deliveries held back by quiet hours, as held requests: per notification and instant the
   * window ends, the users and the channels held for them (users with the same channels together).
   */
  private List<ScheduledNotifications.Held> quietParts(Batch batch) {
    List<ScheduledNotifications.Held> parts = new ArrayList<>();
    batch.quiet.forEach(
        (key, channelsByUser) -> {
          Map<List<Channel>, List<String>> byChannels = new LinkedHashMap<>();
          channelsByUser.forEach(
              (user, channels) ->
                  byChannels
                      .computeIfAbsent(List.copyOf(channels), k -> new ArrayList<>())
                      .add(user));
          String sliceKey = sliceKey(key.work().slice());
          byChannels.forEach(
              (channels, users) ->
                  parts.add(
                      part(
                          key.work().notification(),
                          users,
                          channels,
                          List.of(),
                          key.until(),
                          "quiet|"
                              + key.until()
                              + "|"
                              + channels.stream().map(Channel::name).sorted().toList()
                              + "|"
                              + sliceKey,
                          batch.now)));
        });
    return parts;
  }

  /**
   * The rest of one recipient's fallback chain as a held part: no channels, the remaining steps,
   * due when the current step's wait ends; its key ({@code fallback|<user>|<current step's
   * channel>}) lets that step's delivered or read status stop it and its final failure bring it
   * forward ({@link ScheduledNotifications#stopFallbacks}, {@link
   * ScheduledNotifications#advanceFallbacks}).
   */
  private static ScheduledNotifications.Held fallbackPart(
      FallbackHold hold, java.time.Instant now) {
    Notification n = hold.work().notification();
    String part = ScheduledNotifications.fallbackPart(hold.userId(), hold.after());
    return part(n, List.of(hold.userId()), List.of(), hold.rest(), hold.at(), part, now);
  }

  private static String sliceKey(AudienceSlice slice) {
    return slice.fromUserId() == null && slice.toUserId() == null
        ? "whole"
        : (slice.fromUserId() == null ? "" : slice.fromUserId())
            + ".."
            + (slice.toUserId() == null ? "" : slice.toUserId());
  }

  /**
   * One part of a notification held for later: the same request id, these users named, these
   * channels and fallback steps, {@code sendAt} {@code at}; its event id follows from its part key.
   */
  private static ScheduledNotifications.Held part(
      Notification n,
      List<String> users,
      List<Channel> channels,
      List<io.herald.events.v1.FallbackStep> fallback,
      java.time.Instant at,
      String part,
      java.time.Instant now) {
    return new ScheduledNotifications.Held(
        NotificationRequested.newBuilder()
            .setEventId(
                DeliveryIds.eventId("held-part", n.tenantId() + "/" + n.requestId() + "/" + part))
            .setTenantId(n.tenantId())
            .setOccurredAt(now)
            .setRequestId(n.requestId())
            .setRequestedBy(n.requestedBy())
            .setAudience(new io.herald.events.v1.Audience(users, List.of()))
            .setChannels(channels)
            .setCategory(n.category())
            .setTemplate(n.template())
            .setTitle(n.title())
            .setBody(n.body())
            .setData(n.data())
            .setSendAt(at)
            .setFallback(fallback.isEmpty() ? null : List.copyOf(fallback))
            .build(),
        part);
  }

  /**
   * A notification, the slice of its audience handled here, the record that asked and its trace.
   *
   * @param createdBy the asking record as {@code topic/partition@offset}
   * @param requestedAt when the asking record was produced
   */
  record FanOutWork(
      Notification notification,
      AudienceSlice slice,
      String createdBy,
      Span span,
      Header trace,
      java.time.Instant requestedAt) {

    FanOutWork(
        ConsumerRecord<String, Object> source,
        Notification notification,
        AudienceSlice slice,
        Span span,
        RecordTracing tracing) {
      this(
          notification,
          slice,
          source.topic() + "/" + source.partition() + "@" + source.offset(),
          span,
          tracing.header(span),
          java.time.Instant.ofEpochMilli(source.timestamp()));
    }
  }

  /** The rest of a recipient's fallback chain, due at {@code at} unless stopped before. */
  private record FallbackHold(
      FanOutWork work,
      String userId,
      Channel after,
      List<io.herald.events.v1.FallbackStep> rest,
      java.time.Instant at) {}

  /** Deliveries of one notification held until one instant, when quiet hours end. */
  private record QuietKey(FanOutWork work, java.time.Instant until) {}

  /** Everything one batch produces, sent asynchronously and awaited together. */
  private final class Batch {

    final Map<UUID, NewInboxItem> inboxItems = new LinkedHashMap<>();
    final Map<UUID, Header> inboxTraces = new HashMap<>();
    final Map<String, ActivityStore.Event> events = new LinkedHashMap<>();
    final Set<UUID> handedOver = new HashSet<>();
    final List<CompletableFuture<?>> sends = new ArrayList<>();
    final Map<String, Integer> requested = new HashMap<>();
    final Map<List<String>, Integer> skips = new HashMap<>();
    Map<UUID, FanOutStore.Stored> announced = Map.of();
    final java.time.Instant now = clock.instant();
    final Map<QuietKey, Map<String, java.util.EnumSet<Channel>>> quiet = new LinkedHashMap<>();
    final List<FallbackHold> fallbacks = new ArrayList<>();
    final Map<List<String>, DigestStore.Item> digestItems = new LinkedHashMap<>();
    final Map<DigestStore.Key, java.time.Instant> digestDue = new HashMap<>();
    final Map<String, Integer> collected = new HashMap<>();

    void deliver(FanOutWork work, Recipient recipient, Preferences preferences, Renderer renderer) {
      for (Channel channel : work.notification().channels()) {
        deliverOn(work, recipient, channel, preferences, renderer, true);
      }
      fallback(work, recipient, preferences, renderer);
    }

    /**
     * The first step of the recipient's fallback chain that can be delivered is delivered; the
     * steps after it are held as one part, due when the step's wait ends (sooner when the step
     * fails for good; cancelled when it is delivered or read). A step without a usable contact
     * point is skipped, with its reason in the activity, for the next at once.
     */
    private void fallback(
        FanOutWork work, Recipient recipient, Preferences preferences, Renderer renderer) {
      List<io.herald.events.v1.FallbackStep> steps = work.notification().fallback();
      for (int i = 0; i < steps.size(); i++) {
        io.herald.events.v1.FallbackStep step = steps.get(i);
        java.time.Instant out =
            deliverOn(work, recipient, step.getChannel(), preferences, renderer, false);
        if (out == null) {
          continue;
        }
        if (i < steps.size() - 1) {
          fallbacks.add(
              new FallbackHold(
                  work,
                  recipient.userId(),
                  step.getChannel(),
                  steps.subList(i + 1, steps.size()),
                  out.plusMillis(step.getWaitMillis())));
        }
        return;
      }
    }

    /**
     * Delivers on one channel: answers when it goes out (now, or when the recipient's quiet hours
     * end), or null when it does not (an unsupported channel, opted out, no contact point, a render
     * failure), with the reason in the activity. A {@code collectable} delivery (not a fallback
     * step) of a category the recipient gets in a digest is collected for it instead.
     */
    private java.time.Instant deliverOn(
        FanOutWork work,
        Recipient recipient,
        Channel channel,
        Preferences preferences,
        Renderer renderer,
        boolean collectable) {
      Notification n = work.notification();
      if (channel == Channel.UNKNOWN) {
        skip(n, recipient, channel, "SKIPPED", "unsupported-channel");
        return null;
      }
      if (!preferences.allows(n.tenantId(), recipient.userId(), n.category(), channel)) {
        skip(n, recipient, channel, "SKIPPED", "opted-out");
        return null;
      }
      if (!hasContact(recipient, channel)) {
        skip(n, recipient, channel, "SKIPPED", "no-contact");
        return null;
      }
      DigestFrequency digest =
          collectable ? digestFrequency(n, recipient, channel, preferences) : null;
      if (digest == null
          && channel != Channel.IN_APP
          && !preferences.critical(n.tenantId(), n.category())) {
        java.time.Instant until =
            preferences.quietUntil(
                n.tenantId(), recipient.userId(), LocalTimes.zone(recipient.timeZone()), now);
        if (until != null) {
          holdQuiet(work, recipient, channel, until);
          return until;
        }
      }
      Optional<Rendered> content;
      try {
        content = renderer.render(n, recipient, channel);
      } catch (TemplateEngine.RenderException e) {
        skip(n, recipient, channel, "FAILED", "render-failed: " + e.getMessage());
        return null;
      }
      if (content.isEmpty()) {
        skip(n, recipient, channel, "SKIPPED", "no-template");
        return null;
      }
      Rendered c = content.get();
      if (digest != null) {
        collect(work, recipient, channel, digest, preferences, c);
        return now;
      }
      switch (channel) {
        case IN_APP -> inbox(work, recipient, c);
        case EMAIL -> {
          EmailDeliveryRequested email = new EmailDeliveryRequested();
          email.setTo(recipient.email());
          email.setSubject(c.part("subject"));
          email.setTextBody(c.part("text"));
          email.setHtmlBody(c.part("html"));
          email.setCategory(n.category());
          email.setCritical(preferences.critical(n.tenantId(), n.category()));
          send(
              work,
              TopicCatalog.NOTIFICATION_EMAIL.name(),
              recipient.userId(),
              DeliveryIds.delivery(n, recipient.userId(), channel),
              channel,
              email);
        }
        case WHATSAPP -> {
          WhatsAppDeliveryRequested whatsApp = new WhatsAppDeliveryRequested();
          whatsApp.setPhoneNumber(recipient.phone());
          whatsApp.setText(c.part("text"));
          whatsApp.setTemplateName(c.part("whatsappTemplate"));
          whatsApp.setLanguageCode(c.part("language"));
          whatsApp.setParameters(c.parameters());
          whatsApp.setCategory(n.category());
          send(
              work,
              TopicCatalog.NOTIFICATION_WHATSAPP.name(),
              recipient.userId(),
              DeliveryIds.delivery(n, recipient.userId(), channel),
              channel,
              whatsApp);
        }
        case PUSH -> {
          for (PushContact device : recipient.pushContacts()) {
            PushDeliveryRequested push = new PushDeliveryRequested();
            push.setDeviceToken(device.token());
            push.setPlatform(device.platform());
            push.setTitle(c.part("title"));
            push.setBody(c.part("body"));
            push.setImageUrl(c.part("imageUrl"));
            push.setLink(c.part("link"));
            push.setData(n.data());
            push.setCategory(n.category());
            push.setWebPush(
                device.p256dh() == null ? null : new WebPushKeys(device.p256dh(), device.auth()));
            send(
                work,
                TopicCatalog.NOTIFICATION_PUSH.name(),
                recipient.userId(),
                DeliveryIds.pushDelivery(n, recipient.userId(), device.token()),
                channel,
                push);
          }
        }
        default -> skip(n, recipient, channel, "SKIPPED", "unsupported-channel");
      }
      return now;
    }

    /**
     * The digest this delivery goes into, or null when it goes out now: only e-mail and push, never
     * a critical category, and only a channel the recipient's digest settings collect.
     */
    private DigestFrequency digestFrequency(
        Notification n, Recipient recipient, Channel channel, Preferences preferences) {
      if (!DigestSettings.COLLECTABLE.contains(channel)
          || preferences.critical(n.tenantId(), n.category())) {
        return null;
      }
      DigestFrequency f =
          preferences.digestFrequency(n.tenantId(), recipient.userId(), n.category());
      if (f == DigestFrequency.IMMEDIATE
          || !preferences
              .digestSettings(n.tenantId(), recipient.userId())
              .channels()
              .contains(channel)) {
        return null;
      }
      return f;
    }

    /**
     * Collects the delivery for the recipient's next digest (one item per notification, its
     * channels merged) and schedules that digest; the activity shows it held for the digest.
     */
    private void collect(
        FanOutWork work,
        Recipient recipient,
        Channel channel,
        DigestFrequency frequency,
        Preferences preferences,
        Rendered content) {
      Notification n = work.notification();
      DigestStore.Key key = new DigestStore.Key(n.tenantId(), recipient.userId(), frequency);
      DigestSettings settings = preferences.digestSettings(n.tenantId(), recipient.userId());
      java.time.Instant due =
          frequency.next(
              now, LocalTimes.zone(recipient.timeZone()), settings.time(), settings.weekday());
      digestDue.merge(key, due, (a, b) -> a.isBefore(b) ? a : b);
      List<String> itemKey = List.of(n.tenantId(), recipient.userId(), n.requestId());
      DigestStore.Item existing = digestItems.get(itemKey);
      java.util.EnumSet<Channel> channels = java.util.EnumSet.of(channel);
      if (existing != null) {
        channels.addAll(existing.channels());
      }
      boolean email = channel == Channel.EMAIL;
      String title = email ? content.part("subject") : content.part("title");
      String body = email ? content.part("text") : content.part("body");
      String link = email ? null : content.part("link");
      if (existing != null && !email) {
        // The e-mail's words describe the item; push adds its link.
        title = existing.title();
        body = existing.body();
        link = link != null ? link : existing.link();
      } else if (existing != null && existing.link() != null) {
        link = existing.link();
      }
      digestItems.put(
          itemKey,
          new DigestStore.Item(
              key,
              n.requestId(),
              n.category(),
              channels,
              title == null ? "" : title,
              body == null ? "" : body,
              link,
              now,
              false));
      UUID id = DeliveryIds.delivery(n, recipient.userId(), channel);
      record(
          ActivityStore.Event.fanOut(
              "digest:" + id,
              n.tenantId(),
              n.requestId(),
              recipient.userId(),
              channel.name(),
              id.toString(),
              "HELD",
              "digest " + frequency.label() + " due " + due,
              now));
      collected.merge(channel.name(), 1, Integer::sum);
    }

    /** Held until the recipient's quiet hours end; the activity shows it held, with when. */
    private void holdQuiet(
        FanOutWork work, Recipient recipient, Channel channel, java.time.Instant until) {
      quiet
          .computeIfAbsent(new QuietKey(work, until), k -> new LinkedHashMap<>())
          .computeIfAbsent(recipient.userId(), k -> java.util.EnumSet.noneOf(Channel.class))
          .add(channel);
      Notification n = work.notification();
      List<UUID> ids =
          channel == Channel.PUSH
              ? recipient.pushContacts().stream()
                  .map(device -> DeliveryIds.pushDelivery(n, recipient.userId(), device.token()))
                  .toList()
              : List.of(DeliveryIds.delivery(n, recipient.userId(), channel));
      for (UUID id : ids) {
        record(
            ActivityStore.Event.fanOut(
                "quiet:" + id + "@" + until,
                n.tenantId(),
                n.requestId(),
                recipient.userId(),
                channel.name(),
                id.toString(),
                "HELD",
                "quiet-hours until " + until,
                now));
      }
    }

    private static boolean hasContact(Recipient recipient, Channel channel) {
      return switch (channel) {
        case EMAIL -> recipient.email() != null;
        case WHATSAPP -> recipient.phone() != null;
        case PUSH -> !recipient.pushContacts().isEmpty();
        default -> true;
      };
    }

    private void inbox(FanOutWork work, Recipient recipient, Rendered content) {
      Notification n = work.notification();
      UUID id = DeliveryIds.inboxItem(n, recipient.userId());
      if (inboxItems.containsKey(id)) {
        return; // the same request twice in one batch
      }
      inboxItems.put(
          id,
          new NewInboxItem(
              id,
              n.tenantId(),
              recipient.userId(),
              n.requestId(),
              n.category(),
              content.part("title"),
              content.part("body"),
              n.data(),
              content.part("actionUrl"),
              work.createdBy()));
      inboxTraces.put(id, work.trace());
    }

    private void skip(
        Notification n, Recipient recipient, Channel channel, String outcome, String reason) {
      UUID id = DeliveryIds.delivery(n, recipient.userId(), channel);
      record(
          ActivityStore.Event.fanOut(
              "fan-out:" + id,
              n.tenantId(),
              n.requestId(),
              recipient.userId(),
              channel.name(),
              id.toString(),
              outcome,
              reason,
              clock.instant()));
      String counted = reason.startsWith("render-failed") ? "render-failed" : reason;
      skips.merge(List.of(channel.name(), outcome, counted), 1, Integer::sum);
    }

    /**
     * Hands a channel delivery over, with its envelope: a deterministic event id, the tenant, the
     * time, and the delivery, notification and recipient ids.
     */
    private void send(
        FanOutWork work,
        String topic,
        String key,
        UUID deliveryId,
        Channel channel,
        SpecificRecordBase value) {
      if (!handedOver.add(deliveryId)) {
        return; // the same request twice in one batch
      }
      Notification n = work.notification();
      String eventId = DeliveryIds.eventId("delivery-requested", deliveryId);
      record(
          ActivityStore.Event.fanOut(
              eventId,
              n.tenantId(),
              n.requestId(),
              key,
              channel.name(),
              deliveryId.toString(),
              "REQUESTED",
              null,
              clock.instant()));
      DeliveryEvents.stamp(
          value, eventId, n.tenantId(), clock.instant(), deliveryId.toString(), n.requestId(), key);
      requested.merge(channel.name(), 1, Integer::sum);
      produce(work.trace(), topic, key, value);
    }

    void chunks(FanOutWork work, AudiencePages pages) {
      Notification n = work.notification();
      int count = pages.pageCount();
      List<List<String>> named = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        named.add(new ArrayList<>());
      }
      pages.namedUserPages().forEach((user, page) -> named.get(page).add(user));
      for (int i = 0; i < count; i++) {
        String key = n.requestId() + "/" + i;
        produce(
            work.trace(),
            TopicCatalog.NOTIFICATION_FANOUT_CHUNKS.name(),
            key,
            NotificationChunkRequested.newBuilder()
                .setEventId(DeliveryIds.eventId("chunk", n.tenantId() + "/" + key))
                .setTenantId(n.tenantId())
                .setOccurredAt(clock.instant())
                .setRequestId(n.requestId())
                .setRequestedBy(n.requestedBy())
                .setChunk(i)
                .setChunks(count)
                .setFromUserId(i == 0 ? null : pages.firstUserIds().get(i))
                .setToUserId(i == count - 1 ? null : pages.firstUserIds().get(i + 1))
                .setUserIds(named.get(i))
                .setRoles(work.slice().roles())
                .setChannels(n.channels())
                .setCategory(n.category())
                .setTemplate(n.template())
                .setTitle(n.title())
                .setBody(n.body())
                .setData(n.data())
                .setLocalTime(n.localTime())
                .setFallback(n.fallback().isEmpty() ? null : n.fallback())
                .build());
      }
      meters.counter("herald.fanout.chunks").increment(count);
      log.info("Notification {} split into {} chunks", n.requestId(), count);
    }

    private void record(ActivityStore.Event event) {
      events.putIfAbsent(event.eventId(), event);
    }

    /**
     * The batch's activity: what the fan-out skipped and handed over, and each in-app delivery,
     * delivered when its item is stored (with the event id of its {@code InboxItemCreated}).
     */
    List<ActivityStore.Event> activity() {
      List<ActivityStore.Event> all = new ArrayList<>(events.values());
      for (NewInboxItem item : inboxItems.values()) {
        FanOutStore.Stored stored = announced.get(item.id());
        all.add(
            ActivityStore.Event.fanOut(
                DeliveryIds.eventId("inbox-item-created", item.id()),
                item.tenantId(),
                item.notificationId(),
                item.userId(),
                Channel.IN_APP.name(),
                item.id().toString(),
                "DELIVERED",
                null,
                stored != null ? stored.createdAt() : clock.instant()));
      }
      return all;
    }

    void announce(FanOutStore.Announcements stored) {
      this.announced = stored.items();
      if (stored.storedEarlier() > 0) {
        log.info(
            "Announcing {} inbox items stored by an earlier, uncommitted attempt of this batch",
            stored.storedEarlier());
        meters.counter("herald.fanout.inbox.recovered").increment(stored.storedEarlier());
      }
    }

    void publishAnnounced() {
      for (Map.Entry<UUID, FanOutStore.Stored> entry : announced.entrySet()) {
        NewInboxItem item = inboxItems.get(entry.getKey());
        ProducerRecord<String, Object> record =
            new ProducerRecord<>(
                TopicCatalog.NOTIFICATION_INBOX.name(),
                item.userId(),
                InboxItemCreated.newBuilder()
                    .setEventId(DeliveryIds.eventId("inbox-item-created", item.id()))
                    .setTenantId(item.tenantId())
                    .setOccurredAt(clock.instant())
                    .setUserId(item.userId())
                    .setItemId(item.id().toString())
                    .setNotificationId(item.notificationId())
                    .setCategory(item.category())
                    .setTitle(item.title())
                    .setBody(item.body())
                    .setData(item.data())
                    .setCreatedAt(entry.getValue().createdAt())
                    .setActionUrl(item.actionUrl())
                    .setSequence(entry.getValue().seq())
                    .build());
        addTrace(record, inboxTraces.get(item.id()));
        sends.add(kafka.template().send(record));
      }
    }

    private void produce(Header trace, String topic, String key, SpecificRecord value) {
      ProducerRecord<String, Object> record = new ProducerRecord<>(topic, key, value);
      addTrace(record, trace);
      sends.add(kafka.template().send(record));
    }

    /** The fan-out span's context, formatted once per consumed record, on each record it causes. */
    private static void addTrace(ProducerRecord<String, Object> record, Header trace) {
      if (trace != null) {
        record.headers().add(trace);
      }
    }

    /** Waits for every record of the batch; a failure fails the batch, which is then retried. */
    void await() {
      if (sends.isEmpty()) {
        return;
      }
      kafka.template().flush();
      try {
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
            .get(properties.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while sending a fan-out batch", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("the broker did not take a fan-out batch", e);
      }
    }

    void count() {
      meters.counter("herald.notification.inbox.items.created").increment(announced.size());
      collected.forEach(
          (channel, n) ->
              meters.counter("herald.digest.items.collected", "channel", channel).increment(n));
      requested.forEach(
          (channel, n) ->
              meters
                  .counter("herald.notification.deliveries.requested", "channel", channel)
                  .increment(n));
      skips.forEach(
          (key, n) ->
              meters
                  .counter(
                      key.get(1).equals("FAILED")
                          ? "herald.notification.deliveries.failed"
                          : "herald.notification.deliveries.skipped",
                      "channel",
                      key.get(0),
                      "reason",
                      key.get(2))
                  .increment(n));
    }
  }
}
