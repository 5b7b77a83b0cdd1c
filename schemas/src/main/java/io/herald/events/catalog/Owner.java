package io.herald.events.catalog;

/** The service that declares a topic and answers for its contents. */
public enum Owner {
  GATEWAY_SERVICE("gateway-service"),
  PUBLISHING_SERVICE("publishing-service"),
  NOTIFICATION_SERVICE("notification-service");

  private final String serviceName;

  Owner(String serviceName) {
    this.serviceName = serviceName;
  }

  public String serviceName() {
    return serviceName;
  }
}
