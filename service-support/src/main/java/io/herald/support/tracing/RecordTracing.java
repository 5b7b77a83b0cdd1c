package io.herald.support.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Spans for work that batch listeners and job runners do per record or per job, continuing the
 * trace that the record's {@code traceparent} header (W3C trace context) or a stored trace context
 * names. Batch listeners get no per-record observation from spring-kafka, so each record of a batch
 * gets its own span here: the work it causes (provider calls, produced records, log lines) then
 * belongs to the trace of the HTTP request that started it.
 *
 * <p>Example:
 *
 * <pre>{@code
 * Span span = tracing.start("email delivery", record);
 * try (Tracer.SpanInScope scope = tracing.inScope(span)) {
 *   provider.send(...);       // the HTTP client's span and traceparent are the span's children
 * }
 * tracing.inject(span, produced.headers());
 * span.end();
 * }</pre>
 *
 * A span costs a few hundred nanoseconds when it is not sampled; sampled spans are exported in
 * batches when an OTLP endpoint is configured.
 */
public final class RecordTracing {

  /** Does nothing: spans are no-ops and records carry no trace context. */
  public static final RecordTracing NOOP = new RecordTracing(Tracer.NOOP, Propagator.NOOP);

  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";

  private static final Propagator.Getter<Headers> HEADERS =
      (headers, key) -> {
        Header header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
      };
  private static final Propagator.Setter<Headers> HEADER_SETTER =
      (headers, key, value) -> {
        if (headers != null) {
          headers.remove(key);
          headers.add(key, value.getBytes(StandardCharsets.UTF_8));
        }
      };

  private final Tracer tracer;
  private final Propagator propagator;

  public RecordTracing(Tracer tracer, Propagator propagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  /** Starts a consumer span continuing the record's trace, or a new trace when it has none. */
  public Span start(String name, ConsumerRecord<?, ?> record) {
    return propagator
        .extract(record.headers(), HEADERS)
        .name(name)
        .kind(Span.Kind.CONSUMER)
        .tag("messaging.system", "kafka")
        .tag("messaging.destination.name", record.topic())
        .start();
  }

  /**
   * Starts a span continuing a stored trace context ({@link #traceParent}); a new trace when it is
   * null or malformed.
   */
  public Span start(String name, String traceParent) {
    Map<String, String> carrier = new HashMap<>(2);
    if (traceParent != null) {
      carrier.put(TRACEPARENT, traceParent);
    }
    return propagator.extract(carrier, Map::get).name(name).start();
  }

  /** Puts the span's context into the headers, replacing any trace context they carried. */
  public void inject(Span span, Headers headers) {
    propagator.inject(span.context(), headers, HEADER_SETTER);
  }

  /** The span's context as a W3C {@code traceparent} value, to be stored with deferred work. */
  public String traceParent(Span span) {
    Map<String, String> carrier = new HashMap<>(2);
    propagator.inject(span.context(), carrier, Map::put);
    return carrier.get(TRACEPARENT);
  }

  /**
   * The span's {@code traceparent} header, formatted once for the many records one piece of work
   * may produce (a fan-out); null when the span has no context to hand on.
   */
  public Header header(Span span) {
    String traceParent = traceParent(span);
    return traceParent == null
        ? null
        : new RecordHeader(TRACEPARENT, traceParent.getBytes(StandardCharsets.UTF_8));
  }

  /** Makes the span current on this thread: log lines get its ids, new spans become children. */
  public Tracer.SpanInScope inScope(Span span) {
    return tracer.withSpan(span);
  }

  /**
   * The function, run in the span that is current now, wherever it runs later: for a continuation
   * of a future that completes on another thread (an access token fetched before the send).
   */
  public <T, R> Function<T, R> inCurrentSpan(Function<T, R> function) {
    Span current = tracer.currentSpan();
    if (current == null) {
      return function;
    }
    return value -> {
      try (Tracer.SpanInScope scope = tracer.withSpan(current)) {
        return function.apply(value);
      }
    };
  }
}
