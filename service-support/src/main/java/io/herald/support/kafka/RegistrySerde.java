package io.herald.support.kafka;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How every Herald client writes and reads Avro through Apicurio Registry: the Confluent wire
 * format (magic byte, 4-byte content id), artifacts {@code <topic>-<record name>} in the default
 * group (what the Confluent-compatible API lists as subjects), nested types inlined, and readers
 * that decode into the generated classes.
 *
 * <p>Services get these through Spring properties ({@link HeraldDefaultsEnvironmentPostProcessor});
 * tools and tests that build plain Kafka clients use the maps directly, e.g. {@code
 * config.putAll(RegistrySerde.producerProperties(registryUrl))}.
 */
public final class RegistrySerde {

  /** Avro 1.12 only instantiates classes from trusted packages. */
  public static final String TRUSTED_AVRO_PACKAGES =
      "io.herald.events.v1,java.lang,java.util,java.math,org.apache.avro";

  private RegistrySerde() {}

  /** Lets Avro instantiate Herald's generated classes in this JVM, unless already configured. */
  public static void trustHeraldClasses() {
    if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null) {
      System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", TRUSTED_AVRO_PACKAGES);
    }
  }

  /** Serializer settings ({@code apicurio.registry.*}) for a registry's v3 API URL. */
  public static Map<String, Object> producerProperties(String registryUrl) {
    Map<String, Object> p = common(registryUrl);
    p.put("apicurio.registry.auto-register", "true");
    p.put("apicurio.registry.dereference-schema", "true");
    p.put(
        "apicurio.registry.artifact-resolver-strategy",
        "io.apicurio.registry.serde.avro.strategy.TopicRecordIdStrategy");
    p.put("apicurio.registry.artifact.group-id", "default");
    return p;
  }

  /** Deserializer settings ({@code apicurio.registry.*}) for a registry's v3 API URL. */
  public static Map<String, Object> consumerProperties(String registryUrl) {
    Map<String, Object> p = common(registryUrl);
    p.put("apicurio.registry.use-specific-avro-reader", "true");
    return p;
  }

  private static Map<String, Object> common(String registryUrl) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("apicurio.registry.url", registryUrl);
    p.put("apicurio.registry.avro-datum-provider", CachingAvroDatumProvider.class.getName());
    return p;
  }
}
