package io.herald.notification.fanout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * W3C trace context ({@code traceparent}) carried from a consumed record to the records it causes:
 * same trace id, a new span id. Batch listeners get no per-record observation from spring-kafka, so
 * the fan-out continues the trace itself.
 */
final class TraceParent {

  static final String HEADER = "traceparent";

  private TraceParent() {}

  /** The child context of the record's trace, or a new trace when the record carries none. */
  static String childOf(ConsumerRecord<?, ?> record) {
    Header header = record.headers().lastHeader(HEADER);
    if (header != null) {
      String[] parts = new String(header.value(), StandardCharsets.UTF_8).split("-");
      if (parts.length == 4 && parts[1].length() == 32 && parts[3].length() == 2) {
        return "00-" + parts[1] + "-" + randomHex(16) + "-" + parts[3];
      }
    }
    return "00-" + randomHex(32) + "-" + randomHex(16) + "-01";
  }

  private static String randomHex(int digits) {
    StringBuilder hex = new StringBuilder(digits);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (hex.length() < digits) {
      hex.append(Long.toHexString(random.nextLong() | Long.MIN_VALUE), 1, 16);
    }
    hex.setLength(digits);
    return hex.toString();
  }
}
