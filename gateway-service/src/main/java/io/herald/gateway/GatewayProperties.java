package io.herald.gateway;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the gateway.
 *
 * @param notificationServiceUrl where notification reads (inbox, stream) are routed
 * @param publishingServiceUrl where post, job and audit reads are routed, and where post commands
 *     are checked against the post's state before they become events
 * @param publishTimeout how long a command waits for the broker's acknowledgement before the caller
 *     gets 503
 * @param senderAudienceLimit the most users a notification may name without the {@code sender}
 *     role; sending to a role always needs it
 * @param scheduleHorizon how far ahead a notification may be scheduled ({@code sendAt}, {@code
 *     delay})
 */
@ConfigurationProperties("herald.gateway")
public record GatewayProperties(
    URI notificationServiceUrl,
    URI publishingServiceUrl,
    Duration publishTimeout,
    Integer senderAudienceLimit,
    Duration scheduleHorizon) {

  public GatewayProperties {
    if (notificationServiceUrl == null) {
      notificationServiceUrl = URI.create("http://127.0.0.1:8081");
    }
    if (publishingServiceUrl == null) {
      publishingServiceUrl = URI.create("http://127.0.0.1:8082");
    }
    if (publishTimeout == null) {
      publishTimeout = Duration.ofSeconds(10);
    }
    if (senderAudienceLimit == null) {
      senderAudienceLimit = 10;
    }
    if (scheduleHorizon == null) {
      scheduleHorizon = Duration.ofDays(366);
    }
  }
}
