package io.herald.worker;

import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.Channel;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * What a channel worker declares to run on the skeleton: its topic, its record type, how to read a
 * record's ids, and which providers to try for a delivery, in order.
 *
 * @param <T> the channel's delivery record, e.g. {@code EmailDeliveryRequested}
 */
public interface DeliveryChannel<T extends SpecificRecord> {

  Channel channel();

  /** The channel topic; its retry topics and dead-letter topic are named after it. */
  TopicSpec topic();

  Class<T> type();

  /**
   * The ids of a delivery.
   *
   * @throws IllegalArgumentException when the record lacks something every delivery needs; it is
   *     dead-lettered with that reason
   */
  DeliveryRef ref(T delivery);

  /**
   * The providers to try for a delivery, by {@link DeliveryProvider#name()}, in order: when one is
   * unavailable or fails transiently the next is tried (failover).
   *
   * @param configured the order configured for the delivery's tenant
   */
  default List<String> providers(T delivery, DeliveryRef ref, List<String> configured) {
    return configured;
  }
}
