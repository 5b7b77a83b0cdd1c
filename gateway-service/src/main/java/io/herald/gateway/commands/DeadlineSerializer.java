package io.herald.gateway.commands;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The gateway's value serializer: Apicurio's Avro serializer, then a check that the command's
 * caller is still waiting. The producer serializes a record on the caller's thread after it has
 * found the topic's metadata and before the record can reach the broker, so a record refused here
 * is certainly never sent: a command that took too long to get this far (the broker or the registry
 * slow to answer) fails as not accepted, instead of being delivered after its caller was told it
 * was not.
 */
public class DeadlineSerializer implements Serializer<SpecificRecord> {

  private static final ThreadLocal<Long> DEADLINE = new ThreadLocal<>();

  private final AvroKafkaSerializer<SpecificRecord> delegate = new AvroKafkaSerializer<>();

  /** Runs {@code send} with a deadline (a {@link System#nanoTime()}) for its serialization. */
  static <T> T within(long deadlineNanos, java.util.function.Supplier<T> send) {
    DEADLINE.set(deadlineNanos);
    try {
      return send.get();
    } finally {
      DEADLINE.remove();
    }
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    delegate.configure(configs, isKey);
  }

  @Override
  public byte[] serialize(String topic, SpecificRecord data) {
    return check(delegate.serialize(topic, data));
  }

  @Override
  public byte[] serialize(String topic, Headers headers, SpecificRecord data) {
    return check(delegate.serialize(topic, headers, data));
  }

  private static byte[] check(byte[] bytes) {
    Long deadline = DEADLINE.get();
    if (deadline != null && System.nanoTime() - deadline > 0) {
      throw new DeadlinePassedException();
    }
    return bytes;
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** The command's caller stopped waiting before the record could be sent; it was not sent. */
  static final class DeadlinePassedException extends SerializationException {
    DeadlinePassedException() {
      super("the command was not sent: its time to reach the broker had passed");
    }
  }
}
