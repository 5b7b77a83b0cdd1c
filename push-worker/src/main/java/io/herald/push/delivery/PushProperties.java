package io.herald.push.delivery;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Push providers.
 *
 * <p>Example:
 *
 * <pre>
 * herald.push:
 *   fcm:
 *     service-account: /etc/herald/firebase-service-account.json
 *   web-push:
 *     vapid-public-key: BDd3_hVL9fZi9Ybo2UUzA284WG5FZR30_95YeZJsiApwXKpNcF1rRPF3foIiBHXRdJI2Qhumhf6_LFTeZaNndIo
 *     vapid-private-key: ${VAPID_PRIVATE_KEY}
 *     subject: mailto:ops@acme.example
 * </pre>
 *
 * @param fcm Firebase Cloud Messaging HTTP v1; off without a service account
 * @param webPush Web Push (RFC 8030) with VAPID; off without a key pair
 */
@ConfigurationProperties("herald.push")
public record PushProperties(Fcm fcm, WebPush webPush) {

  public PushProperties {
    fcm = fcm == null ? new Fcm(null, null, null, null) : fcm;
    webPush = webPush == null ? new WebPush(null, null, null, null, null) : webPush;
  }

  /**
   * @param serviceAccount the service account's JSON key file
   * @param serviceAccountJson the same key inline (wins over the file)
   * @param baseUrl the FCM API, {@code https://fcm.googleapis.com}
   * @param tokenUrl overrides the key's {@code token_uri}
   */
  public record Fcm(
      Path serviceAccount, String serviceAccountJson, String baseUrl, String tokenUrl) {

    public Fcm {
      baseUrl = baseUrl == null || baseUrl.isBlank() ? "https://fcm.googleapis.com" : baseUrl;
    }

    boolean enabled() {
      return (serviceAccountJson != null && !serviceAccountJson.isBlank())
          || (serviceAccount != null && !serviceAccount.toString().isBlank());
    }
  }

  /**
   * @param vapidPublicKey the application server's P-256 public key, base64url (65 bytes,
   *     uncompressed), as browsers take it in {@code applicationServerKey}
   * @param vapidPrivateKey its private key, base64url (the 32-byte scalar)
   * @param subject contact of the sender for push services, {@code mailto:} or {@code https:}
   * @param ttl how long a push service keeps an undelivered message
   * @param urgency {@code very-low}, {@code low}, {@code normal} or {@code high}
   */
  public record WebPush(
      String vapidPublicKey, String vapidPrivateKey, String subject, Duration ttl, String urgency) {

    public WebPush {
      subject = subject == null || subject.isBlank() ? "mailto:no-reply@herald.local" : subject;
      ttl = ttl == null ? Duration.ofDays(1) : ttl;
      urgency = urgency == null || urgency.isBlank() ? "normal" : urgency;
    }

    boolean enabled() {
      return vapidPublicKey != null
          && !vapidPublicKey.isBlank()
          && vapidPrivateKey != null
          && !vapidPrivateKey.isBlank();
    }
  }
}
