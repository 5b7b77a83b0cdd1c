package io.herald.support.kafka;

import io.herald.events.catalog.Owner;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Kafka settings of one Herald service.
 *
 * <p>Example ({@code application.yml} of notification-service):
 *
 * <pre>
 * herald.kafka:
 *   owner: NOTIFICATION_SERVICE
 *   dead-letter-topics: notification.requests.v1
 * </pre>
 *
 * @param owner the service whose catalog topics this instance declares at start-up; null declares
 *     none
 * @param deadLetterTopics topics this service consumes and dead-letters; their {@code -dlt} topics
 *     are declared with the same partition count
 * @param replicationFactor replication of declared topics; 0 takes the broker's default
 * @param deliveryAttempts attempts per record before it is dead-lettered (blocking retries)
 */
@ConfigurationProperties("herald.kafka")
public record HeraldKafkaProperties(
    Owner owner, List<String> deadLetterTopics, int replicationFactor, int deliveryAttempts) {

  public HeraldKafkaProperties {
    deadLetterTopics = deadLetterTopics == null ? List.of() : List.copyOf(deadLetterTopics);
    deliveryAttempts = deliveryAttempts <= 0 ? 3 : deliveryAttempts;
  }
}
