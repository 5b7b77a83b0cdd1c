package io.herald.support.kafka;

/**
 * A record that can never be processed as it is (missing content, unknown reference). The error
 * handler dead-letters it at once instead of retrying; the message becomes the {@code
 * kafka_dlt-exception-message} header.
 */
public class PoisonRecordException extends RuntimeException {

  public PoisonRecordException(String message) {
    super(message);
  }
}
