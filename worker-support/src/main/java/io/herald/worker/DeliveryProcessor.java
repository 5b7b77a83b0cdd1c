package io.herald.worker;

import io.herald.events.catalog.TopicCatalog;
import io.herald.support.events.DeliveryEvents;
import io.herald.support.tracing.RecordTracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.SerializationUtils;

/**
 * Processes one batch of a channel topic or one of its retry topics, as {@code
 * docs/processing-model.md} describes:
 *
 * <ol>
 *   <li>records that cannot be decoded or lack an id go to {@code <topic>-dlt} with the reason;
 *   <li>one ledger read for the whole batch drops deliveries already sent;
 *   <li>every other delivery is sent asynchronously (bounded per provider), trying the providers in
 *       order until one accepts or refuses it for good, and the batch awaits them together;
 *   <li>one ledger write records what was accepted;
 *   <li>status events, retry records and dead letters are produced in the batch's Kafka
 *       transaction, which also commits the consumed offsets.
 * </ol>
 *
 * A retry record carries the time it is due ({@code herald-due-at}); the batch stops at the first
 * record not yet due, commits what came before it and sees the rest again once it is due.
 */
final class DeliveryProcessor<T extends SpecificRecord> {

  static final String ATTEMPT_HEADER = "herald-attempt";
  static final String DUE_AT_HEADER = "herald-due-at";
  static final String LAST_ERROR_HEADER = "herald-last-error";
  static final String ERROR_CODE_HEADER = "herald-error-code";
  static final String PROVIDER_HEADER = "herald-provider";
  static final String DEFERRALS_HEADER = "herald-deferrals";

  /** Deferred records climb the retry topics up to the last one whose delay is at most this. */
  private static final Duration LONGEST_DEFERRAL = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(DeliveryProcessor.class);
  private static final LogAccessor LOG_ACCESSOR = new LogAccessor(DeliveryProcessor.class);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(10);

  private final String spanName;

  private final DeliveryChannel<T> channel;
  private final Map<String, GuardedProvider<T>> providers;
  private final DeliveryLedger ledger;
  private final KafkaTemplate<String, Object> kafka;
  private final WorkerProperties properties;
  private final DeliveryEvents events;
  private final DeliveryMetrics metrics;
  private final Executor failover;
  private final RecordTracing tracing;
  private final Clock clock;

  DeliveryProcessor(
      DeliveryChannel<T> channel,
      Map<String, GuardedProvider<T>> providers,
      DeliveryLedger ledger,
      KafkaTemplate<String, Object> kafka,
      WorkerProperties properties,
      DeliveryMetrics metrics,
      Executor failover,
      RecordTracing tracing,
      Clock clock) {
    this.channel = channel;
    this.providers = providers;
    this.ledger = ledger;
    this.kafka = kafka;
    this.properties = properties;
    this.events = new DeliveryEvents(clock);
    this.metrics = metrics;
    this.failover = failover;
    this.tracing = tracing;
    this.clock = clock;
    this.spanName = channel.channel().name().toLowerCase(java.util.Locale.ROOT) + " delivery";
  }

  /** The retry topic of the n-th retry (0-based), e.g. {@code notification.email.v1-retry-1000}. */
  String retryTopic(int index) {
    return channel.topic().name() + "-retry-" + properties.retryDelays().get(index).toMillis();
  }

  List<String> retryTopics() {
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < properties.retryDelays().size(); i++) {
      topics.add(retryTopic(i));
    }
    return topics;
  }

  String topic() {
    return channel.topic().name();
  }

  String deadLetterTopic() {
    return channel.topic().deadLetterTopic();
  }

  void process(List<ConsumerRecord<String, Object>> records, Acknowledgment ack) {
    Map<String, Item<T>> items = new LinkedHashMap<>();
    try {
      process(records, ack, items);
      items.values().forEach(item -> item.span().end());
    } catch (RuntimeException e) {
      items.values().forEach(item -> item.span().error(e).end());
      throw e;
    }
  }

  private void process(
      List<ConsumerRecord<String, Object>> records,
      Acknowledgment ack,
      Map<String, Item<T>> items) {
    long now = clock.millis();
    int notDue = -1;
    for (int i = 0; i < records.size(); i++) {
      ConsumerRecord<String, Object> record = records.get(i);
      Long dueAt = longHeader(record.headers(), DUE_AT_HEADER);
      if (dueAt != null && dueAt > now) {
        notDue = i;
        break;
      }
      Item<T> item = decode(record);
      if (item != null && items.putIfAbsent(item.ref().deliveryId(), item) != null) {
        metrics.outcome("ledger", "duplicate", null);
        item.span().end();
      }
    }

    Map<String, DeliveryLedger.Entry> recorded = ledger.find(items.keySet());
    List<Pending<T>> pending = new ArrayList<>();
    for (Item<T> item : items.values()) {
      DeliveryLedger.Entry entry = recorded.get(item.ref().deliveryId());
      if (entry == null) {
        // The provider call (and its HTTP client span) belongs to the delivery's trace.
        try (Tracer.SpanInScope scope = tracing.inScope(item.span())) {
          pending.add(new Pending<>(item, sendThrough(item, candidates(item), 0, null)));
        }
      } else if (origin(item.record()).equals(entry.recordedBy())) {
        // This very record was processed before, but its transaction was lost: announce it again.
        emit(
            item, events.sent(subject(item), entry.provider(), entry.messageId(), entry.attempt()));
      } else {
        metrics.outcome(entry.provider() == null ? "ledger" : entry.provider(), "duplicate", null);
        try (Tracer.SpanInScope scope = tracing.inScope(item.span())) {
          withIds(log.atInfo(), item)
              .log(
                  "{} delivery {} was sent before; not sending it again",
                  channel.channel(),
                  item.ref().deliveryId());
        }
      }
    }
    CompletableFuture.allOf(pending.stream().map(Pending::result).toArray(CompletableFuture[]::new))
        .join();

    List<DeliveryLedger.Sent> sent = new ArrayList<>();
    for (Pending<T> p : pending) {
      Attempt result = p.result().join();
      Item<T> item = p.item();
      SendOutcome outcome = result.outcome();
      item.span().tag("herald.provider", result.provider());
      item.span().tag("herald.outcome", outcome.getClass().getSimpleName());
      if (log.isDebugEnabled()) {
        try (Tracer.SpanInScope scope = tracing.inScope(item.span())) {
          withIds(log.atDebug(), item)
              .addKeyValue("provider", result.provider())
              .log(
                  "{} delivery {} attempt {}: {}",
                  channel.channel(),
                  item.ref().deliveryId(),
                  item.attempt(),
                  outcome);
        }
      }
      if (outcome instanceof SendOutcome.Accepted accepted) {
        sent.add(
            new DeliveryLedger.Sent(
                item.ref().deliveryId(),
                item.ref().tenantId(),
                result.provider(),
                accepted.providerMessageId(),
                item.attempt(),
                origin(item.record())));
      } else {
        try (Tracer.SpanInScope scope = tracing.inScope(item.span())) {
          handleFailure(item, result, now);
        }
      }
    }
    ledger.record(sent);
    for (int i = 0; i < pending.size(); i++) {
      Pending<T> p = pending.get(i);
      Attempt result = p.result().join();
      if (result.outcome() instanceof SendOutcome.Accepted accepted) {
        emit(
            p.item(),
            events.sent(
                subject(p.item()),
                result.provider(),
                accepted.providerMessageId(),
                p.item().attempt()));
      }
    }
    if (notDue >= 0) {
      long wait = longHeader(records.get(notDue).headers(), DUE_AT_HEADER) - now;
      ack.nack(notDue, Duration.ofMillis(Math.min(Math.max(wait, 10), MAX_PAUSE.toMillis())));
    } else {
      ack.acknowledge();
    }
  }

  private void handleFailure(Item<T> item, Attempt result, long now) {
    SendOutcome outcome = result.outcome();
    int attempt = item.attempt();
    if (outcome instanceof SendOutcome.Permanent permanent) {
      emit(
          item,
          events.failed(
              subject(item), permanent.code(), permanent.message(), false, true, attempt));
      if (permanent.cause() == SendOutcome.Cause.CONTACT_INVALID) {
        emit(
            item,
            events.contactPointInvalid(subject(item), item.ref().contact(), permanent.message()));
      }
      deadLetter(item, result.provider(), permanent.code(), permanent.message());
    } else if (outcome instanceof SendOutcome.Transient failure) {
      if (attempt < properties.maxAttempts()) {
        emit(
            item,
            events.failed(subject(item), failure.code(), failure.message(), true, false, attempt));
        retry(item, attempt + 1, attempt - 1, 0, failure.retryAfter(), failure, now);
      } else {
        String reason = "gave up after " + attempt + " attempts; last: " + failure.message();
        emit(item, events.failed(subject(item), failure.code(), reason, true, true, attempt));
        deadLetter(item, result.provider(), failure.code(), reason);
      }
    } else if (outcome instanceof SendOutcome.Deferred deferred) {
      // While a provider stays unavailable its deliveries wait longer each time (1 s, 5 s, 30 s
      // with the default delays), so that a long outage does not keep the worker busy cycling
      // them, and none waits more than 30 s past the provider's recovery.
      retry(
          item,
          attempt,
          deferralTopic(item.deferrals()),
          item.deferrals() + 1,
          deferred.delay(),
          deferred,
          now);
    }
  }

  /** Tries the providers from {@code index} on; the result is the first that is not transient. */
  private CompletableFuture<Attempt> sendThrough(
      Item<T> item, List<String> names, int index, Attempt previous) {
    if (index >= names.size()) {
      return CompletableFuture.completedFuture(
          previous != null
              ? previous
              : new Attempt(
                  "none",
                  new SendOutcome.Permanent(
                      "NO_PROVIDER",
                      "no provider is configured for "
                          + channel.channel()
                          + " deliveries of tenant "
                          + item.ref().tenantId(),
                      SendOutcome.Cause.CONFIGURATION)));
    }
    GuardedProvider<T> provider = providers.get(names.get(index));
    if (provider == null) {
      return sendThrough(item, names, index + 1, previous);
    }
    return provider
        .send(item.value(), item.ref(), item.attempt())
        .thenCompose(
            outcome -> {
              Attempt attempt = new Attempt(provider.name(), outcome);
              boolean tryNext =
                  outcome instanceof SendOutcome.Transient
                      || outcome instanceof SendOutcome.Deferred;
              if (!tryNext) {
                return CompletableFuture.completedFuture(attempt);
              }
              if (index + 1 >= names.size()) {
                return CompletableFuture.completedFuture(worse(previous, attempt));
              }
              log.debug(
                  "{} fails over from {}: {}", item.ref().deliveryId(), provider.name(), outcome);
              // Off the provider's I/O thread: the next provider may wait for a permit.
              return CompletableFuture.supplyAsync(
                      () -> {
                        try (Tracer.SpanInScope scope = tracing.inScope(item.span())) {
                          return sendThrough(item, names, index + 1, worse(previous, attempt));
                        }
                      },
                      failover)
                  .thenCompose(next -> next);
            });
  }

  /** A provider that was tried and failed counts the attempt; one that was skipped does not. */
  private static Attempt worse(Attempt previous, Attempt current) {
    if (previous != null
        && previous.outcome() instanceof SendOutcome.Transient
        && !(current.outcome() instanceof SendOutcome.Transient)) {
      return previous;
    }
    return current;
  }

  private List<String> candidates(Item<T> item) {
    return channel.providers(
        item.value(), item.ref(), properties.providerOrderOf(item.ref().tenantId()));
  }

  private Item<T> decode(ConsumerRecord<String, Object> record) {
    DeserializationException undecodable =
        SerializationUtils.getExceptionFromHeader(
            record, SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER, LOG_ACCESSOR);
    String reason;
    Object raw = record.value();
    if (undecodable != null) {
      reason = "undecodable: " + undecodable.getMessage();
      raw = undecodable.getData();
    } else if (!channel.type().isInstance(record.value())) {
      reason =
          "expected "
              + channel.type().getSimpleName()
              + ", got "
              + (record.value() == null ? "no value" : record.value().getClass().getName());
    } else {
      T value = channel.type().cast(record.value());
      try {
        Integer attempt = intHeader(record.headers(), ATTEMPT_HEADER);
        Integer deferrals = intHeader(record.headers(), DEFERRALS_HEADER);
        DeliveryRef ref = channel.ref(value);
        return new Item<>(
            record,
            value,
            ref,
            attempt == null ? 1 : attempt,
            deferrals == null ? 0 : deferrals,
            tracing.start(spanName, record));
      } catch (IllegalArgumentException e) {
        reason = "invalid: " + e.getMessage();
      }
    }
    log.warn(
        "Dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), reason);
    String code = undecodable != null ? "UNDECODABLE" : "INVALID";
    metrics.deadLettered(code);
    kafka.send(deadLetterRecord(record, raw, code, null, reason, null));
    return null;
  }

  private int deferralTopic(int deferrals) {
    int last = 0;
    List<Duration> delays = properties.retryDelays();
    while (last + 1 < delays.size() && delays.get(last + 1).compareTo(LONGEST_DEFERRAL) <= 0) {
      last++;
    }
    return Math.min(deferrals, last);
  }

  private void retry(
      Item<T> item,
      int attempt,
      int index,
      int deferrals,
      Duration retryAfter,
      SendOutcome why,
      long now) {
    long delay = properties.retryDelays().get(index).toMillis();
    if (retryAfter != null) {
      delay = Math.max(delay, retryAfter.toMillis());
    }
    ConsumerRecord<String, Object> record = item.record();
    Headers headers = carried(record.headers());
    tracing.inject(item.span(), headers);
    headers.add(ATTEMPT_HEADER, Integer.toString(attempt).getBytes(StandardCharsets.UTF_8));
    headers.add(DUE_AT_HEADER, Long.toString(now + delay).getBytes(StandardCharsets.UTF_8));
    headers.add(LAST_ERROR_HEADER, describe(why).getBytes(StandardCharsets.UTF_8));
    if (deferrals > 0) {
      headers.add(DEFERRALS_HEADER, Integer.toString(deferrals).getBytes(StandardCharsets.UTF_8));
    }
    metrics.retried(why.code());
    kafka.send(new ProducerRecord<>(retryTopic(index), null, record.key(), item.value(), headers));
  }

  private void deadLetter(Item<T> item, String provider, String code, String reason) {
    withIds(log.atWarn(), item)
        .log(
            "{} delivery {} of notification {} failed for good ({}): {}",
            channel.channel(),
            item.ref().deliveryId(),
            item.ref().notificationId(),
            code,
            reason);
    metrics.deadLettered(code);
    kafka.send(deadLetterRecord(item.record(), item.value(), code, provider, reason, item.span()));
  }

  /**
   * A dead letter with spring-kafka's {@code kafka_dlt-*} headers, so that every Herald dead-letter
   * topic reads the same, plus Herald's error code and provider.
   */
  private ProducerRecord<String, Object> deadLetterRecord(
      ConsumerRecord<String, Object> record,
      Object value,
      String code,
      String provider,
      String reason,
      Span span) {
    Headers headers = carried(record.headers());
    if (span != null) {
      tracing.inject(span, headers);
    }
    headers.add(
        KafkaHeaders.DLT_EXCEPTION_FQCN,
        DeliveryFailure.class.getName().getBytes(StandardCharsets.UTF_8));
    headers.add(KafkaHeaders.DLT_EXCEPTION_MESSAGE, reason.getBytes(StandardCharsets.UTF_8));
    headers.add(KafkaHeaders.DLT_ORIGINAL_TOPIC, record.topic().getBytes(StandardCharsets.UTF_8));
    headers.add(
        KafkaHeaders.DLT_ORIGINAL_PARTITION,
        ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array());
    headers.add(
        KafkaHeaders.DLT_ORIGINAL_OFFSET,
        ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
    headers.add(
        KafkaHeaders.DLT_ORIGINAL_TIMESTAMP,
        ByteBuffer.allocate(Long.BYTES).putLong(record.timestamp()).array());
    headers.add(ERROR_CODE_HEADER, code.getBytes(StandardCharsets.UTF_8));
    if (provider != null) {
      headers.add(PROVIDER_HEADER, provider.getBytes(StandardCharsets.UTF_8));
    }
    return new ProducerRecord<>(deadLetterTopic(), null, record.key(), value, headers);
  }

  private void emit(Item<T> item, SpecificRecord status) {
    ProducerRecord<String, Object> record =
        new ProducerRecord<>(
            TopicCatalog.NOTIFICATION_DELIVERY_STATUS.name(), item.ref().notificationId(), status);
    tracing.inject(item.span(), record.headers());
    kafka.send(record);
  }

  /** The ids a delivery's log lines carry as structured fields. */
  private static LoggingEventBuilder withIds(LoggingEventBuilder line, Item<?> item) {
    return line.addKeyValue("tenant", item.ref().tenantId())
        .addKeyValue("requestId", item.ref().notificationId())
        .addKeyValue("deliveryId", item.ref().deliveryId());
  }

  private io.herald.support.events.DeliveryEvents.Subject subject(Item<T> item) {
    return item.ref().subject(channel.channel());
  }

  /** The headers a record carries on (trace context and the like), without Herald's own. */
  private static Headers carried(Headers original) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : original) {
      String key = header.key();
      if (!key.startsWith("herald-")
          && !key.startsWith("kafka_dlt-")
          && !key.equals(SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER)
          && !key.equals(SerializationUtils.KEY_DESERIALIZER_EXCEPTION_HEADER)) {
        headers.add(header);
      }
    }
    return headers;
  }

  private static String describe(SendOutcome outcome) {
    if (outcome instanceof SendOutcome.Transient t) {
      return t.code() + ": " + t.message();
    }
    if (outcome instanceof SendOutcome.Deferred d) {
      return d.code() + ": " + d.message();
    }
    return String.valueOf(outcome);
  }

  static String origin(ConsumerRecord<?, ?> record) {
    return record.topic() + "-" + record.partition() + "@" + record.offset();
  }

  private static Long longHeader(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    if (header == null) {
      return null;
    }
    try {
      return Long.parseLong(new String(header.value(), StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Integer intHeader(Headers headers, String key) {
    Long value = longHeader(headers, key);
    return value == null || value < 1 ? null : value.intValue();
  }

  /**
   * @param deferrals how often in a row the delivery was deferred (circuit open, no rate permit)
   */
  record Item<T>(
      ConsumerRecord<String, Object> record,
      T value,
      DeliveryRef ref,
      int attempt,
      int deferrals,
      Span span) {}

  record Attempt(String provider, SendOutcome outcome) {}

  private record Pending<T>(Item<T> item, CompletableFuture<Attempt> result) {}

  /** Names the kind of a dead letter in {@code kafka_dlt-exception-fqcn}. */
  static final class DeliveryFailure extends RuntimeException {
    private DeliveryFailure() {
      super(null, null, false, false);
    }
  }
}
