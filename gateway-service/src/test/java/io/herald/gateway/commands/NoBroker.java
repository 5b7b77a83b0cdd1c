package io.herald.gateway.commands;

import io.herald.gateway.GatewayProperties;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * For slice tests of the HTTP edge: a command publisher whose broker is a closed port, so a command
 * that got past the checks would fail (503 after a second) rather than be published.
 */
@TestConfiguration
public class NoBroker {

  @Bean
  CommandPublisher publisher(GatewayProperties properties) {
    Map<String, Object> config = Map.of("bootstrap.servers", "127.0.0.1:1", "max.block.ms", 1000);
    return new CommandPublisher(
        new KafkaTemplate<String, SpecificRecord>(
            new DefaultKafkaProducerFactory<>(config, new StringSerializer(), null)),
        properties,
        kafkaProperties());
  }

  private static org.springframework.boot.kafka.autoconfigure.KafkaProperties kafkaProperties() {
    var kafka = new org.springframework.boot.kafka.autoconfigure.KafkaProperties();
    kafka.getProducer().getProperties().put("delivery.timeout.ms", "2000");
    return kafka;
  }

  @Bean
  io.micrometer.core.instrument.MeterRegistry meters() {
    return new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  }
}
