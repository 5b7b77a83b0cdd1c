package io.herald.notification.scheduling;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ProducerFactory;

/**
 * Wiring of notifications held for later: the serializer that keeps a request in the registry's
 * wire format, and a plain (not transactional) producer that writes due requests back unchanged.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SchedulingProperties.class)
class SchedulingConfiguration {

  @Bean
  ScheduledNotifications scheduledNotifications(
      ProducerFactory<Object, Object> base, MeterRegistry meters) {
    AvroKafkaSerializer<SpecificRecord> serializer = new AvroKafkaSerializer<>();
    serializer.configure(new HashMap<>(base.getConfigurationProperties()), false);
    return new ScheduledNotifications(serializer, meters);
  }

  @Bean(destroyMethod = "close")
  Producer<String, byte[]> dueNotificationsProducer(ProducerFactory<Object, Object> base) {
    Map<String, Object> config = new HashMap<>(base.getConfigurationProperties());
    config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "due-notifications");
    return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  @Bean
  DueNotifications dueNotifications(
      @Qualifier("fanOutDataSource") DataSource dataSource,
      ScheduledNotifications store,
      Producer<String, byte[]> dueNotificationsProducer,
      SchedulingProperties properties,
      MeterRegistry meters) {
    return new DueNotifications(dataSource, store, dueNotificationsProducer, properties, meters);
  }
}
