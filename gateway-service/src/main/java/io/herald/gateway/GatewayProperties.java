package io.herald.gateway;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the gateway.
 *
 * @param notificationServiceUrl where notification reads (inbox, stream) are routed
 * @param publishTimeout how long a command waits for the broker's acknowledgement before the caller
 *     gets 503
 */
@ConfigurationProperties("herald.gateway")
public record GatewayProperties(URI notificationServiceUrl, Duration publishTimeout) {

  public GatewayProperties {
    if (notificationServiceUrl == null) {
      notificationServiceUrl = URI.create("http://127.0.0.1:8081");
    }
    if (publishTimeout == null) {
      publishTimeout = Duration.ofSeconds(10);
    }
  }
}
