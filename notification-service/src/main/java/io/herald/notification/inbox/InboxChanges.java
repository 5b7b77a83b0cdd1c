package io.herald.notification.inbox;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.InboxItemArchived;
import io.herald.events.v1.InboxItemUnarchived;
import io.herald.events.v1.InboxItemsRead;
import io.herald.events.v1.InboxItemsSeen;
import io.herald.events.v1.InboxItemsUnread;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Tells {@code notification.inbox.v1} what a user changed in their inbox (read, unread, seen,
 * archived, unarchived), keyed by user, so that every instance's live streams and other teams see
 * it. Only items whose state changed are named: a repeated mark produces nothing. Ids go at most
 * 1,000 to an event. The database is the record: an event the broker did not take, or did not
 * acknowledge within {@link #ACKNOWLEDGEMENT_WAIT}, is logged and counted, and the change stands (a
 * stream that missed it reads it back when it resumes). The caller's answer never waits longer.
 */
@Component
class InboxChanges {

  private static final Logger log = LoggerFactory.getLogger(InboxChanges.class);
  static final int IDS_PER_EVENT = 1_000;

  /** How long an inbox mark's answer waits for the broker to acknowledge its event. */
  static final java.time.Duration ACKNOWLEDGEMENT_WAIT = java.time.Duration.ofSeconds(5);

  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final MeterRegistry meters;

  InboxChanges(KafkaTemplate<String, SpecificRecord> kafka, MeterRegistry meters) {
    this.kafka = kafka;
    this.meters = meters;
  }

  Mono<Void> changed(
      String tenantId,
      String userId,
      InboxRepository.Mark mark,
      List<String> ids,
      long seq,
      Instant at) {
    if (ids.isEmpty()) {
      return Mono.empty();
    }
    List<SpecificRecord> events = new ArrayList<>();
    for (List<String> chunk : chunks(ids)) {
      switch (mark) {
        case READ ->
            events.add(
                InboxItemsRead.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setTenantId(tenantId)
                    .setOccurredAt(at)
                    .setUserId(userId)
                    .setItemIds(chunk)
                    .setSequence(seq)
                    .build());
        case UNREAD ->
            events.add(
                InboxItemsUnread.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setTenantId(tenantId)
                    .setOccurredAt(at)
                    .setUserId(userId)
                    .setItemIds(chunk)
                    .setSequence(seq)
                    .build());
        case ARCHIVE ->
            chunk.forEach(
                id ->
                    events.add(
                        InboxItemArchived.newBuilder()
                            .setEventId(UUID.randomUUID().toString())
                            .setTenantId(tenantId)
                            .setOccurredAt(at)
                            .setUserId(userId)
                            .setItemId(id)
                            .setSequence(seq)
                            .build()));
        case UNARCHIVE ->
            chunk.forEach(
                id ->
                    events.add(
                        InboxItemUnarchived.newBuilder()
                            .setEventId(UUID.randomUUID().toString())
                            .setTenantId(tenantId)
                            .setOccurredAt(at)
                            .setUserId(userId)
                            .setItemId(id)
                            .setSequence(seq)
                            .build()));
      }
    }
    return send(userId, events);
  }

  Mono<Void> seen(String tenantId, String userId, List<String> ids, long seq, Instant upTo) {
    if (ids.isEmpty()) {
      return Mono.empty();
    }
    return send(
        userId,
        List.of(
            InboxItemsSeen.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setTenantId(tenantId)
                .setOccurredAt(upTo)
                .setUserId(userId)
                .setSeenUpTo(upTo)
                .setItemIds(ids.size() <= IDS_PER_EVENT ? ids : List.of())
                .setSequence(seq)
                .build()));
  }

  /** Sends them all, then awaits every acknowledgement together. */
  private Mono<Void> send(String userId, List<SpecificRecord> events) {
    return Flux.fromIterable(events)
        .flatMap(
            e ->
                Mono.fromFuture(
                    () -> kafka.send(TopicCatalog.NOTIFICATION_INBOX.name(), userId, e)),
            events.size())
        .subscribeOn(Schedulers.boundedElastic()) // send() may block fetching metadata
        .then()
        .timeout(ACKNOWLEDGEMENT_WAIT)
        .onErrorResume(
            e -> {
              meters.counter("herald.notification.inbox.changes.unsent").increment();
              log.warn("inbox change of user {} not published: {}", userId, e.toString());
              return Mono.empty();
            });
  }

  private static List<List<String>> chunks(List<String> ids) {
    List<List<String>> chunks = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += IDS_PER_EVENT) {
      chunks.add(ids.subList(i, Math.min(ids.size(), i + IDS_PER_EVENT)));
    }
    return chunks;
  }
}
