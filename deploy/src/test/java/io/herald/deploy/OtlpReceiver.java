package io.herald.deploy;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/**
 * Receives spans the way an OpenTelemetry collector's OTLP/HTTP receiver does ({@code POST
 * /v1/traces}, protobuf, optionally gzip), on a free loopback port, and keeps them for a test to
 * look at.
 *
 * <p>Example: {@code PlatformConfig.isolated(dir).withTraces(receiver.tracesUrl())}.
 */
final class OtlpReceiver implements AutoCloseable {

  /** One received span, with the {@code service.name} of the process that sent it. */
  record ReceivedSpan(
      String service,
      String traceId,
      String spanId,
      String parentSpanId,
      String name,
      String kind) {}

  private final HttpServer server;
  private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

  OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/traces",
        exchange -> {
          try (InputStream body = exchange.getRequestBody()) {
            String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
            InputStream in = "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(body) : body;
            keep(ExportTraceServiceRequest.parseFrom(in));
            byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
          } catch (IOException | RuntimeException e) {
            exchange.sendResponseHeaders(400, -1);
          } finally {
            exchange.close();
          }
        });
    server.start();
  }

  String tracesUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
  }

  /** The spans of one trace received so far. */
  List<ReceivedSpan> trace(String traceId) {
    return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  /** The ids of the spans, to check that a span's parent is among them. */
  static Set<String> spanIds(List<ReceivedSpan> spans) {
    return spans.stream().map(ReceivedSpan::spanId).collect(Collectors.toSet());
  }

  private void keep(ExportTraceServiceRequest request) {
    HexFormat hex = HexFormat.of();
    for (ResourceSpans resource : request.getResourceSpansList()) {
      String service =
          resource.getResource().getAttributesList().stream()
              .filter(a -> a.getKey().equals("service.name"))
              .map(KeyValue::getValue)
              .map(v -> v.getStringValue())
              .findFirst()
              .orElse("?");
      for (ScopeSpans scope : resource.getScopeSpansList()) {
        for (io.opentelemetry.proto.trace.v1.Span span : scope.getSpansList()) {
          spans.add(
              new ReceivedSpan(
                  service,
                  hex.formatHex(span.getTraceId().toByteArray()),
                  hex.formatHex(span.getSpanId().toByteArray()),
                  hex.formatHex(span.getParentSpanId().toByteArray()),
                  span.getName(),
                  span.getKind().name()));
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
