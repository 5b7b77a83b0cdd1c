package io.herald.support.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecordTracingTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";

  private final SdkTracerProvider provider = SdkTracerProvider.builder().build();
  private final OtelCurrentTraceContext context = new OtelCurrentTraceContext();
  private final io.opentelemetry.api.trace.Tracer otel = provider.get("test");
  private final Tracer tracer =
      new OtelTracer(
          otel, context, event -> {}, new OtelBaggageManager(context, List.of(), List.of()));
  private final RecordTracing tracing =
      new RecordTracing(
          tracer,
          new OtelPropagator(
              ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel));

  @AfterEach
  void close() {
    provider.close();
  }

  @Test
  void shouldContinueTheRecordsTraceAndHandItOnInPlaceOfTheOldContext() {
    ConsumerRecord<String, String> record = new ConsumerRecord<>("topic", 0, 7, "key", "value");
    record.headers().add("traceparent", ("00-" + TRACE + "-" + PARENT + "-01").getBytes());

    Span span = tracing.start("work", record);
    RecordHeaders produced = new RecordHeaders();
    produced.add("traceparent", ("00-" + TRACE + "-" + PARENT + "-01").getBytes());
    tracing.inject(span, produced);
    span.end();

    assertThat(span.context().traceId()).isEqualTo(TRACE);
    assertThat(span.context().parentId()).isEqualTo(PARENT);
    assertThat(produced.headers("traceparent")).hasSize(1);
    assertThat(new String(produced.lastHeader("traceparent").value(), StandardCharsets.UTF_8))
        .isEqualTo("00-" + TRACE + "-" + span.context().spanId() + "-01");
  }

  @Test
  void shouldStartANewTraceForARecordWithoutOne() {
    Span span = tracing.start("work", new ConsumerRecord<>("topic", 0, 7, "key", "value"));
    span.end();

    assertThat(span.context().traceId()).hasSize(32).isNotEqualTo(TRACE);
    assertThat(span.context().parentId()).isNull();
  }

  @Test
  void shouldContinueAStoredTraceContextLater() {
    Span command = tracing.start("command", "00-" + TRACE + "-" + PARENT + "-01");
    String stored = tracing.traceParent(command);
    command.end();

    Span job = tracing.start("job", stored);
    job.end();

    assertThat(stored).isEqualTo("00-" + TRACE + "-" + command.context().spanId() + "-01");
    assertThat(new String(tracing.header(command).value(), StandardCharsets.UTF_8))
        .isEqualTo(stored);
    assertThat(job.context().traceId()).isEqualTo(TRACE);
    assertThat(job.context().parentId()).isEqualTo(command.context().spanId());
    assertThat(tracing.start("job", (String) null).context().traceId()).isNotEqualTo(TRACE);
  }

  @Test
  void shouldRunAContinuationInTheSpanThatWasCurrentWhereItWasMade() throws Exception {
    Span span = tracing.start("work", "00-" + TRACE + "-" + PARENT + "-01");
    CompletableFuture<String> token = new CompletableFuture<>();
    CompletableFuture<String> seen;
    try (Tracer.SpanInScope scope = tracing.inScope(span)) {
      seen = token.thenApply(tracing.inCurrentSpan(t -> tracer.currentSpan().context().spanId()));
    }
    // Completed on another thread, where no span is current.
    Thread other = new Thread(() -> token.complete("token"));
    other.start();
    other.join();

    assertThat(seen.get()).isEqualTo(span.context().spanId());
    assertThat(tracer.currentSpan()).isNull();
    span.end();
  }
}
