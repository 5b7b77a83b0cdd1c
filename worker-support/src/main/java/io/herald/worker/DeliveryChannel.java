package io.herald.worker;

import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.Channel;
import java.util.List;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * What a channel worker declares to run on the skeleton: its topic, its record type, the field that
 * holds the contact point, and which providers to try for a delivery, in order. The ids every
 * delivery record carries ({@code deliveryId}, {@code notificationId}, {@code tenantId}, {@code
 * userId}, {@code category}) are read by name.
 *
 * <p>Example: {@code DeliveryChannel.of(Channel.EMAIL, TopicCatalog.NOTIFICATION_EMAIL,
 * EmailDeliveryRequested.class, "to")}.
 *
 * @param <T> the channel's delivery record
 */
public final class DeliveryChannel<T extends SpecificRecord> {

  /** Chooses the providers to try for a delivery, by {@link DeliveryProvider#name()}, in order. */
  @FunctionalInterface
  public interface ProviderChoice<T> {

    /**
     * @param configured the order configured for the delivery's tenant
     */
    List<String> providers(T delivery, DeliveryRef ref, List<String> configured);
  }

  private static final List<String> ID_FIELDS =
      List.of("deliveryId", "notificationId", "tenantId", "userId", "category");

  private final Channel channel;
  private final TopicSpec topic;
  private final Class<T> type;
  private final String contactField;
  private final Consumer<T> check;
  private final ProviderChoice<T> choice;

  private DeliveryChannel(
      Channel channel,
      TopicSpec topic,
      Class<T> type,
      String contactField,
      Consumer<T> check,
      ProviderChoice<T> choice) {
    this.channel = channel;
    this.topic = topic;
    this.type = type;
    this.contactField = contactField;
    this.check = check;
    this.choice = choice;
  }

  /**
   * A channel whose providers are tried in the configured order ({@code
   * herald.worker.provider-order}, per tenant under {@code herald.worker.tenants}).
   *
   * @throws IllegalArgumentException when the record type lacks one of the fields read by name
   */
  public static <T extends SpecificRecord> DeliveryChannel<T> of(
      Channel channel, TopicSpec topic, Class<T> type, String contactField) {
    Schema schema = SpecificData.get().getSchema(type);
    for (String field : concat(ID_FIELDS, contactField)) {
      if (schema.getField(field) == null) {
        throw new IllegalArgumentException(type.getSimpleName() + " has no field " + field);
      }
    }
    return new DeliveryChannel<>(
        channel, topic, type, contactField, delivery -> {}, (d, ref, configured) -> configured);
  }

  /**
   * Adds a check of each record; an {@link IllegalArgumentException} it throws dead-letters the
   * record with its message as the reason.
   */
  public DeliveryChannel<T> checking(Consumer<T> check) {
    return new DeliveryChannel<>(channel, topic, type, contactField, check, choice);
  }

  /** Chooses the providers per delivery instead of taking the configured order. */
  public DeliveryChannel<T> choosingProviders(ProviderChoice<T> choice) {
    return new DeliveryChannel<>(channel, topic, type, contactField, check, choice);
  }

  public Channel channel() {
    return channel;
  }

  /** The channel topic; its retry topics and dead-letter topic are named after it. */
  public TopicSpec topic() {
    return topic;
  }

  public Class<T> type() {
    return type;
  }

  /**
   * The ids of a delivery.
   *
   * @throws IllegalArgumentException when the record lacks something every delivery needs or fails
   *     the channel's check
   */
  public DeliveryRef ref(T delivery) {
    check.accept(delivery);
    return new DeliveryRef(
        text(delivery, "deliveryId"),
        text(delivery, "notificationId"),
        text(delivery, "tenantId"),
        text(delivery, "userId"),
        text(delivery, "category"),
        text(delivery, contactField));
  }

  List<String> providers(T delivery, DeliveryRef ref, List<String> configured) {
    return choice.providers(delivery, ref, configured);
  }

  private static String text(SpecificRecord record, String field) {
    Object value = record.get(record.getSchema().getField(field).pos());
    return value == null ? null : value.toString();
  }

  private static List<String> concat(List<String> fields, String more) {
    return java.util.stream.Stream.concat(fields.stream(), java.util.stream.Stream.of(more))
        .toList();
  }
}
