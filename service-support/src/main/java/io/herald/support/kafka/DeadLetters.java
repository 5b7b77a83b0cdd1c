package io.herald.support.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.SerializationUtils;

/**
 * Takes the records of a batch that can never be processed out of it: each goes to {@code
 * <topic>-dlt} in the batch's transaction, with spring-kafka's {@code kafka_dlt-*} headers
 * (exception, message, original topic, partition, offset), and the rest of the batch goes on.
 *
 * <p>Example: {@code new DeadLetters(kafka, meters, "herald.fanout.dead-lettered")}, then {@code
 * deadLetters.attempt(record, consumer, PostCreated.class, false, this::apply)} for each record.
 */
public class DeadLetters {

  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
  private static final LogAccessor LOG_ACCESSOR = new LogAccessor(DeadLetters.class);

  private final DeadLetterPublishingRecoverer recoverer;
  private final MeterRegistry meters;
  private final String counter;

  /**
   * @param kafka the transactional producer of the batch listeners whose records are handed here
   * @param counter name of the counter (tagged by topic) of the records dead-lettered
   */
  public DeadLetters(TransactionalKafka kafka, MeterRegistry meters, String counter) {
    this.recoverer = new DeadLetterPublishingRecoverer(kafka.template());
    this.meters = meters;
    this.counter = counter;
  }

  /**
   * Applies {@code process} to the record's value. A value that could not be deserialized, one of
   * another type, or one {@code process} rejects with a runtime exception is dead-lettered, and
   * empty is returned.
   *
   * @param nullIsValue whether a null value (a tombstone) is passed on rather than rejected
   */
  public <T, R> Optional<R> attempt(
      ConsumerRecord<String, Object> record,
      Consumer<?, ?> consumer,
      Class<T> type,
      boolean nullIsValue,
      Function<T, R> process) {
    try {
      Object value = record.value();
      DeserializationException failure =
          SerializationUtils.getExceptionFromHeader(
              record, SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER, LOG_ACCESSOR);
      if (failure != null) {
        throw failure;
      }
      if (value == null && !nullIsValue) {
        throw new PoisonRecordException("record has no value");
      }
      if (value != null && !type.isInstance(value)) {
        throw new PoisonRecordException(
            "expected " + type.getSimpleName() + ", got " + value.getClass().getName());
      }
      return Optional.of(process.apply(type.cast(value)));
    } catch (RuntimeException e) {
      log.warn(
          "Dead-lettering {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      recoverer.accept(record, consumer, e);
      meters.counter(counter, "topic", record.topic()).increment();
      return Optional.empty();
    }
  }
}
