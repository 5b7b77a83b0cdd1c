package io.herald.notification.digests;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.events.v1.WebPushKeys;
import io.herald.notification.activity.ActivityStore;
import io.herald.notification.fanout.DeliveryIds;
import io.herald.notification.fanout.LocalTimes;
import io.herald.notification.subscribers.AudienceQuery;
import io.herald.notification.subscribers.AudienceRepository;
import io.herald.notification.subscribers.Recipient;
import io.herald.notification.templates.TemplateEngine;
import io.herald.notification.templates.TemplateReader;
import io.herald.support.events.DeliveryEvents;
import io.herald.support.kafka.TransactionalKafka;
import io.herald.support.polling.PollingLoop;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.avro.specific.SpecificRecordBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the digests that have become due, a batch at a time, on every instance.
 *
 * <p>Each round: claim up to {@code batch-size} due digests (one statement, {@code FOR UPDATE SKIP
 * LOCKED}, so instances share the work and never take the same user's digest at once); read their
 * items, recipients, settings and templates (one statement each); record each digest under its
 * user, frequency and period (a period that already has one sends nothing: exactly one digest per
 * period); consume the items, reschedule what is left and write the activity; send every record in
 * one Kafka transaction and commit it; then commit the database.
 *
 * <p>A crash before the Kafka commit aborts the records and leaves the digests due, so the next
 * round (here or on another instance) sends them once. Only a crash between the Kafka commit and
 * the database commit (one round trip) sends a digest's records again; they carry the same delivery
 * and event ids, which the channel worker's ledger drops, so the recipient still gets one.
 */
public class DigestRunner extends PollingLoop {

  private static final Logger log = LoggerFactory.getLogger(DigestRunner.class);

  /** The template key of digests; a tenant's own template of that key overrides the shipped one. */
  public static final String TEMPLATE = "digest";

  private static final DateTimeFormatter ITEM_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);

  private final DataSource dataSource;
  private final DigestStore store;
  private final AudienceRepository audience;
  private final TemplateReader templates;
  private final TemplateEngine engine;
  private final ActivityStore activity;
  private final TransactionalKafka kafka;
  private final DigestProperties properties;
  private final Clock clock;
  private final Timer lateness;
  private final Timer rounds;
  private final MeterRegistry meters;
  private final Counter sentDigests;
  private final Counter emptyDigests;

  public DigestRunner(
      DataSource dataSource,
      DigestStore store,
      AudienceRepository audience,
      TemplateReader templates,
      TemplateEngine engine,
      ActivityStore activity,
      TransactionalKafka kafka,
      DigestProperties properties,
      Clock clock,
      MeterRegistry meters) {
    super(
        "digests",
        properties.pollInterval(),
        properties.sendTimeout().plusSeconds(5),
        properties.concurrency());
    this.dataSource = dataSource;
    this.store = store;
    this.audience = audience;
    this.templates = templates;
    this.engine = engine;
    this.activity = activity;
    this.kafka = kafka;
    this.properties = properties;
    this.clock = clock;
    this.meters = meters;
    this.lateness =
        Timer.builder("herald.digest.lateness")
            .description("From a digest's due time to when it was sent")
            .serviceLevelObjectives(
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                Duration.ofMinutes(1),
                Duration.ofMinutes(5),
                Duration.ofMinutes(15))
            .register(meters);
    this.rounds =
        Timer.builder("herald.digest.round")
            .description("One round of the digest runner: claim, read, record, send, commit")
            .register(meters);
    this.sentDigests = digests(meters, "sent");
    this.emptyDigests = digests(meters, "empty");
    // Shown at zero before the first item, not missing.
    for (Channel channel : DigestSettings.COLLECTABLE) {
      meters.counter("herald.digest.items.collected", "channel", channel.name());
    }
  }

  private static Counter digests(MeterRegistry meters, String outcome) {
    return Counter.builder("herald.digests")
        .description("Digests sent, or due with nothing to send")
        .tag("outcome", outcome)
        .register(meters);
  }

  @Override
  public boolean isAutoStartup() {
    return properties.enabled();
  }

  @Override
  protected boolean runOnce() throws Exception {
    return runRound() == properties.batchSize();
  }

  /** One round; answers how many due digests it claimed. */
  public int runRound() throws Exception {
    Timer.Sample sample = Timer.start(meters);
    Instant now = clock.instant();
    try (Connection db = dataSource.getConnection()) {
      db.setAutoCommit(false);
      List<DigestStore.Due> due = store.claim(db, now, properties.batchSize());
      if (due.isEmpty()) {
        db.commit();
        return 0;
      }
      Round round = new Round(now);
      round.prepare(db, due);
      Set<UUID> recorded = store.record(db, round.digests, now);
      store.consume(db, round.consumed(recorded));
      store.reschedule(db, round.next);
      List<CompletableFuture<?>> sends = new ArrayList<>();
      List<ActivityStore.Event> events = round.events(recorded);
      activity.insertEvents(db, events);
      kafka
          .template()
          .executeInTransaction(
              operations -> {
                for (Message m : round.messages) {
                  if (recorded.contains(m.digestId())) {
                    sends.add(operations.send(m.topic(), m.key(), m.value()));
                  }
                }
                operations.flush();
                try {
                  CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
                      .get(properties.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException("interrupted while sending digests", e);
                } catch (Exception e) {
                  throw new IllegalStateException("the broker did not take a round of digests", e);
                }
                return null;
              });
      db.commit();
      Instant sentAt = clock.instant();
      for (DigestStore.Sent d : round.digests) {
        if (recorded.contains(d.digestId())) {
          lateness.record(Duration.between(d.dueAt(), sentAt));
        }
      }
      count(round, recorded);
      long nanos = sample.stop(rounds);
      log.info(
          "Sent {} digests of {} due ({} with nothing to send) in {} ms",
          recorded.size(),
          due.size(),
          round.empty,
          nanos / 1_000_000);
      return due.size();
    }
  }

  private void count(Round round, Set<UUID> recorded) {
    int sent = 0;
    for (DigestStore.Sent d : round.digests) {
      if (recorded.contains(d.digestId())) {
        sent++;
        meters
            .counter("herald.digest.items.sent", "frequency", d.key().frequency().label())
            .increment(d.items());
      }
    }
    sentDigests.increment(sent);
    emptyDigests.increment(round.empty);
    if (round.digests.size() > sent) {
      log.info(
          "{} digests were already sent for their period; their items wait for the next one",
          round.digests.size() - sent);
    }
  }

  /** A record a round sends, with the digest it belongs to. */
  private record Message(UUID digestId, String topic, String key, SpecificRecordBase value) {}

  /** Everything one round reads, decides and sends. */
  private final class Round {

    final Instant now;
    final List<DigestStore.Sent> digests = new ArrayList<>();
    final Map<UUID, List<DigestStore.Item>> itemsByDigest = new HashMap<>();
    final List<DigestStore.Item> leftOut = new ArrayList<>();
    final List<Message> messages = new ArrayList<>();
    final Map<DigestStore.Key, Instant> next = new LinkedHashMap<>();
    final Map<UUID, Map<Channel, List<String>>> deliveries = new HashMap<>();
    int empty;

    Round(Instant now) {
      this.now = now;
    }

    void prepare(Connection db, List<DigestStore.Due> due) throws Exception {
      List<DigestStore.Key> keys = due.stream().map(DigestStore.Due::key).toList();
      Map<DigestStore.Key, List<DigestStore.Item>> items = store.items(db, keys);
      Map<String, List<String>> usersByTenant = new LinkedHashMap<>();
      for (DigestStore.Key k : keys) {
        List<String> users = usersByTenant.computeIfAbsent(k.tenantId(), t -> new ArrayList<>());
        if (users.isEmpty() || !users.get(users.size() - 1).equals(k.userId())) {
          users.add(k.userId());
        }
      }
      List<AudienceQuery> queries = new ArrayList<>();
      List<String> tenants = new ArrayList<>(usersByTenant.keySet());
      for (int i = 0; i < tenants.size(); i++) {
        queries.add(
            new AudienceQuery(
                i, tenants.get(i), usersByTenant.get(tenants.get(i)), List.of(), null, null));
      }
      boolean push =
          items.values().stream()
              .flatMap(List::stream)
              .anyMatch(i -> i.channels().contains(Channel.PUSH));
      Map<List<String>, Recipient> recipients = new HashMap<>();
      audience
          .recipients(db, queries, push)
          .forEach(
              (i, found) ->
                  found.forEach(r -> recipients.put(List.of(tenants.get(i), r.userId()), r)));
      Map<List<String>, DigestSettings> settings =
          store.settings(db, keys.stream().map(k -> List.of(k.tenantId(), k.userId())).toList());
      TemplateReader.Templates digestTemplates =
          templates.load(
              db, tenants.stream().map(t -> new TemplateReader.Key(t, TEMPLATE)).toList());

      for (DigestStore.Due d : due) {
        DigestStore.Key key = d.key();
        Recipient recipient = recipients.get(List.of(key.tenantId(), key.userId()));
        ZoneId zone = LocalTimes.zone(recipient == null ? null : recipient.timeZone());
        DigestSettings s =
            settings.getOrDefault(List.of(key.tenantId(), key.userId()), DigestSettings.DEFAULT);
        next.put(key, key.frequency().next(now, zone, s.time(), s.weekday()));
        List<DigestStore.Item> all = items.getOrDefault(key, List.of());
        List<DigestStore.Item> included = new ArrayList<>();
        for (DigestStore.Item item : all) {
          if (item.read() && properties.excludeRead()) {
            leftOut.add(item);
          } else {
            included.add(item);
          }
        }
        if (included.isEmpty() || recipient == null) {
          // Nothing to say (or nobody left to say it to): no digest, the items are done.
          leftOut.addAll(included);
          empty++;
          continue;
        }
        String period = key.frequency().period(d.dueAt(), zone);
        UUID digestId =
            uuid("digest", key.tenantId(), key.userId(), key.frequency().name(), period);
        digests.add(
            new DigestStore.Sent(
                key,
                period,
                digestId,
                included.stream().map(DigestStore.Item::notificationId).toList(),
                d.dueAt()));
        itemsByDigest.put(digestId, included);
        render(digestTemplates, recipient, key, period, digestId, included, zone);
      }
    }

    /** The digest's message on each channel its items came by that the recipient can receive. */
    private void render(
        TemplateReader.Templates digestTemplates,
        Recipient recipient,
        DigestStore.Key key,
        String period,
        UUID digestId,
        List<DigestStore.Item> items,
        ZoneId zone) {
      Set<Channel> channels = EnumSet.noneOf(Channel.class);
      items.forEach(i -> channels.addAll(i.channels()));
      Map<String, Object> model = model(recipient, key, period, items, zone);
      Map<Channel, List<String>> ids = new HashMap<>();
      for (Channel channel : channels) {
        Optional<TemplateEngine.Compiled> template =
            digestTemplates.find(key.tenantId(), TEMPLATE, channel, recipient.locale());
        if (template.isEmpty()) {
          continue;
        }
        TemplateEngine.Rendered content;
        try {
          content = engine.render(template.get(), Map.of(), model);
        } catch (TemplateEngine.RenderException e) {
          log.warn("Digest {} could not be rendered for {}: {}", digestId, channel, e.getMessage());
          continue;
        }
        String notificationId = digestId.toString();
        if (channel == Channel.EMAIL && recipient.email() != null) {
          UUID deliveryId = uuid("digest-delivery", notificationId, channel.name());
          EmailDeliveryRequested email = new EmailDeliveryRequested();
          email.setTo(recipient.email());
          email.setSubject(content.part("subject"));
          email.setTextBody(content.part("text"));
          email.setHtmlBody(content.part("html"));
          email.setCategory(TEMPLATE);
          email.setCritical(false);
          add(digestId, TopicCatalog.NOTIFICATION_EMAIL.name(), key, deliveryId, email);
          ids.computeIfAbsent(channel, c -> new ArrayList<>()).add(deliveryId.toString());
        } else if (channel == Channel.PUSH) {
          for (Recipient.PushContact device : recipient.pushContacts()) {
            UUID deliveryId = uuid("digest-delivery", notificationId, device.token());
            PushDeliveryRequested p = new PushDeliveryRequested();
            p.setDeviceToken(device.token());
            p.setPlatform(device.platform());
            p.setTitle(content.part("title"));
            p.setBody(content.part("body"));
            p.setLink(content.part("link"));
            p.setData(Map.of("digestId", notificationId));
            p.setCategory(TEMPLATE);
            p.setWebPush(
                device.p256dh() == null ? null : new WebPushKeys(device.p256dh(), device.auth()));
            add(digestId, TopicCatalog.NOTIFICATION_PUSH.name(), key, deliveryId, p);
            ids.computeIfAbsent(channel, c -> new ArrayList<>()).add(deliveryId.toString());
          }
        }
      }
      deliveries.put(digestId, ids);
    }

    private void add(
        UUID digestId,
        String topic,
        DigestStore.Key key,
        UUID deliveryId,
        SpecificRecordBase value) {
      DeliveryEvents.stamp(
          value,
          uuid("digest-requested", deliveryId.toString()).toString(),
          key.tenantId(),
          now,
          deliveryId.toString(),
          digestId.toString(),
          key.userId());
      messages.add(new Message(digestId, topic, key.userId(), value));
    }

    private Map<String, Object> model(
        Recipient recipient,
        DigestStore.Key key,
        String period,
        List<DigestStore.Item> items,
        ZoneId zone) {
      List<Map<String, Object>> listed = new ArrayList<>();
      for (DigestStore.Item item :
          items.subList(0, Math.min(items.size(), properties.maxItems()))) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("title", item.title());
        m.put("body", item.body());
        m.put("category", item.category());
        if (item.link() != null && !item.link().isBlank()) {
          m.put("link", item.link()); // absent: {{#link}} sections are skipped
        }
        m.put("at", ITEM_TIME.format(item.createdAt().atZone(zone)));
        listed.add(m);
      }
      int more = items.size() - listed.size();
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("items", listed);
      model.put("count", items.size());
      model.put("more", more);
      model.put("hasMore", more > 0);
      model.put("frequency", key.frequency().label());
      model.put("period", period);
      model.put(
          "recipient",
          Map.of(
              "userId", recipient.userId(),
              "locale", recipient.locale(),
              "email", recipient.email() == null ? "" : recipient.email()));
      return model;
    }

    /** The items to remove: those of digests recorded now, and those left out for good. */
    List<DigestStore.Item> consumed(Set<UUID> recorded) {
      List<DigestStore.Item> consumed = new ArrayList<>(leftOut);
      itemsByDigest.forEach(
          (id, items) -> {
            if (recorded.contains(id)) {
              consumed.addAll(items);
            }
          });
      return consumed;
    }

    /**
     * Per delivery of each digest sent: REQUESTED (under the digest's id, which its later statuses
     * carry too; a request's activity reaches it through the digest's notification ids). Per item
     * whose channel nothing carried (no contact point or template for the digest on it), and per
     * item left out: SKIPPED with why.
     */
    List<ActivityStore.Event> events(Set<UUID> recorded) {
      List<ActivityStore.Event> events = new ArrayList<>();
      for (DigestStore.Sent d : digests) {
        if (!recorded.contains(d.digestId())) {
          continue;
        }
        Map<Channel, List<String>> ids = deliveries.getOrDefault(d.digestId(), Map.of());
        ids.forEach(
            (channel, deliveryIds) -> {
              for (String deliveryId : deliveryIds) {
                events.add(
                    ActivityStore.Event.fanOut(
                        uuid("digest-requested", deliveryId).toString(),
                        d.key().tenantId(),
                        d.digestId().toString(),
                        d.key().userId(),
                        channel.name(),
                        deliveryId,
                        "REQUESTED",
                        d.key().frequency().label()
                            + " digest "
                            + d.period()
                            + ", "
                            + d.items()
                            + " items",
                        now));
              }
            });
        for (DigestStore.Item item : itemsByDigest.get(d.digestId())) {
          for (Channel channel : item.channels()) {
            if (!ids.containsKey(channel)) {
              events.add(
                  ActivityStore.Event.fanOut(
                      uuid("digest-uncarried", d.digestId().toString(), item.notificationId())
                          .toString(),
                      d.key().tenantId(),
                      item.notificationId(),
                      d.key().userId(),
                      channel.name(),
                      itemDelivery(item, channel),
                      "SKIPPED",
                      "digest " + d.digestId() + " has no " + channel + " contact or template",
                      now));
            }
          }
        }
      }
      for (DigestStore.Item item : leftOut) {
        for (Channel channel : item.channels()) {
          events.add(
              ActivityStore.Event.fanOut(
                  uuid(
                          "digest-left-out",
                          item.key().tenantId(),
                          item.key().frequency().name(),
                          item.notificationId(),
                          item.key().userId(),
                          channel.name())
                      .toString(),
                  item.key().tenantId(),
                  item.notificationId(),
                  item.key().userId(),
                  channel.name(),
                  itemDelivery(item, channel),
                  "SKIPPED",
                  item.read() ? "read-before-digest" : "no-subscriber",
                  now));
        }
      }
      return events;
    }
  }

  /** The id the fan-out gave the item's delivery on the channel when it collected it. */
  private static String itemDelivery(DigestStore.Item item, Channel channel) {
    return DeliveryIds.delivery(
            item.key().tenantId(), item.notificationId(), item.key().userId(), channel)
        .toString();
  }

  private static UUID uuid(String... parts) {
    return DeliveryIds.uuid(parts);
  }
}
