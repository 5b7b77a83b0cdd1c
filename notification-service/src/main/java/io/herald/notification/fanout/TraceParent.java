package io.herald.notification.fanout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * W3C trace context ({@code traceparent}) carried from a consumed record to the records it causes:
 * same trace id and flags, a new span id per record. Batch listeners get no per-record observation
 * from spring-kafka, so the fan-out continues the trace itself. Parsed once per consumed record,
 * however many records it fans out to.
 *
 * <p>Example: {@code TraceParent.of(consumed).addChildTo(produced)}.
 */
record TraceParent(String traceId, String flags) {

  static final String HEADER = "traceparent";

  /** The record's trace, or a new trace when it carries none (or a malformed one). */
  static TraceParent of(ConsumerRecord<?, ?> record) {
    Header header = record.headers().lastHeader(HEADER);
    if (header != null) {
      String[] parts = new String(header.value(), StandardCharsets.UTF_8).split("-");
      if (parts.length == 4 && parts[1].length() == 32 && parts[3].length() == 2) {
        return new TraceParent(parts[1], parts[3]);
      }
    }
    return new TraceParent(randomHex(32), "01");
  }

  /** Adds a child span's {@code traceparent} header to the record. */
  void addChildTo(ProducerRecord<?, ?> record) {
    String child = "00-" + traceId + "-" + randomHex(16) + "-" + flags;
    record.headers().add(HEADER, child.getBytes(StandardCharsets.UTF_8));
  }

  private static String randomHex(int digits) {
    StringBuilder hex = new StringBuilder(digits);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (hex.length() < digits) {
      // The top bit set keeps all 16 digits; the first is skipped, as it is never 0-7.
      hex.append(Long.toHexString(random.nextLong() | Long.MIN_VALUE), 1, 16);
    }
    hex.setLength(digits);
    return hex.toString();
  }
}
