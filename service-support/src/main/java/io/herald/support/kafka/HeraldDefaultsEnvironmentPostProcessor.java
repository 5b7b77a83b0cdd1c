package io.herald.support.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Defaults every Herald service shares, added with the lowest precedence so that a service's {@code
 * application.yml} or the environment can override any of them.
 *
 * <p>Records are Avro in the Confluent wire format (magic byte, 4-byte content id), with schemas
 * registered in Apicurio Registry under {@code <topic>-<record name>} so that one topic can carry
 * several event types. Values that cannot be deserialized reach the listener's error handler
 * instead of looping forever on the consumer.
 */
public class HeraldDefaultsEnvironmentPostProcessor implements EnvironmentPostProcessor {

  static final String PROPERTY_SOURCE_NAME = "heraldDefaults";

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    RegistrySerde.trustHeraldClasses();
    environment
        .getPropertySources()
        .addLast(new MapPropertySource(PROPERTY_SOURCE_NAME, defaults()));
  }

  static Map<String, Object> defaults() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("herald.registry-url", "${REGISTRY_URL:http://127.0.0.1:8180/apis/registry/v3}");
    p.put("spring.kafka.bootstrap-servers", "${KAFKA_BOOTSTRAP:127.0.0.1:9092}");

    String producer = "spring.kafka.producer.";
    p.put(producer + "key-serializer", "org.apache.kafka.common.serialization.StringSerializer");
    p.put(producer + "value-serializer", "io.apicurio.registry.serde.avro.AvroKafkaSerializer");
    p.put(producer + "acks", "all");
    p.put(producer + "properties.enable.idempotence", "true");
    p.put(producer + "properties.delivery.timeout.ms", "40000");
    p.put(producer + "properties.max.block.ms", "10000");
    RegistrySerde.producerProperties("${herald.registry-url}")
        .forEach((key, value) -> p.put(producer + "properties." + key, value));

    String consumer = "spring.kafka.consumer.";
    p.put(
        consumer + "key-deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    p.put(
        consumer + "value-deserializer",
        "org.springframework.kafka.support.serializer.ErrorHandlingDeserializer");
    p.put(
        consumer + "properties.spring.deserializer.value.delegate.class",
        "io.apicurio.registry.serde.avro.AvroKafkaDeserializer");
    p.put(consumer + "auto-offset-reset", "earliest");
    p.put(consumer + "properties.isolation.level", "read_committed");
    RegistrySerde.consumerProperties("${herald.registry-url}")
        .forEach((key, value) -> p.put(consumer + "properties." + key, value));

    // Every record carries the W3C trace context (traceparent header) of the work that caused it.
    p.put("spring.kafka.template.observation-enabled", "true");
    p.put("spring.kafka.listener.observation-enabled", "true");
    p.put("management.tracing.propagation.type", "w3c");
    // Carries the HTTP request's observation across Reactor thread hops into KafkaTemplate.send.
    p.put("spring.reactor.context-propagation", "auto");

    p.put("management.endpoints.web.exposure.include", "health,info,prometheus");
    p.put("management.endpoint.health.probes.enabled", "true");
    p.put("management.endpoint.health.show-details", "always");
    p.put("management.endpoint.health.group.readiness.include", "readinessState,kafka");
    p.put("management.metrics.tags.application", "${spring.application.name}");
    // HTTP latency as a histogram with a few fixed buckets, so percentiles by route can be read
    // across instances (histogram_quantile) without a series per default bucket.
    p.put(
        "management.metrics.distribution.slo.http.server.requests",
        "5ms,10ms,25ms,50ms,100ms,250ms,500ms,1000ms,2500ms,5000ms,10000ms");
    // No trace exemplars in the scrape: the Prometheus client puts them on summaries' counts too,
    // and Prometheus 2.42 (Debian 12's) then refuses the whole scrape ("does not support
    // exemplars"). Logs and records carry the trace id instead.
    p.put(
        "spring.autoconfigure.exclude",
        "org.springframework.boot.micrometer.tracing.autoconfigure.prometheus"
            + ".PrometheusExemplarsAutoConfiguration");
    p.put("spring.webflux.problemdetails.enabled", "true");
    // Kafka clients log every configuration at INFO; keep service logs about the service.
    p.put("logging.level.org.apache.kafka", "WARN");
    p.put("server.address", "${SERVER_ADDRESS:127.0.0.1}");
    p.put("server.shutdown", "graceful");
    return p;
  }
}
