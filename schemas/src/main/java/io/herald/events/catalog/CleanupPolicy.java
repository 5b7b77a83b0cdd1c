package io.herald.events.catalog;

/** Kafka's {@code cleanup.policy} topic setting. */
public enum CleanupPolicy {
  DELETE("delete"),
  COMPACT("compact");

  private final String kafkaValue;

  CleanupPolicy(String kafkaValue) {
    this.kafkaValue = kafkaValue;
  }

  public String kafkaValue() {
    return kafkaValue;
  }
}
