package io.herald.push.delivery;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.support.crypto.P256;
import io.herald.worker.DeliveryProvider;
import io.herald.worker.DeliveryRef;
import io.herald.worker.ProviderHttp;
import io.herald.worker.SendOutcome;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Web Push (RFC 8030): the payload, encrypted for the subscription (RFC 8291, {@code aes128gcm}),
 * is POSTed to the subscription's endpoint with VAPID authentication (RFC 8292: {@code
 * Authorization: vapid t=<ES256 JWT>, k=<public key>}), a {@code TTL} and an {@code Urgency}. The
 * push service answers 201 with the message's URL in {@code Location}.
 *
 * <p>404 and 410 mean the subscription is gone ({@code ContactPointInvalid}); 429 and 5xx are
 * transient; 413 (payload too large) and other 4xx are permanent; 401 and 403 mean the VAPID key
 * does not match the one the subscription was made with.
 *
 * <p>The payload is JSON: {@code {"title", "body", "image", "url", "data", "notificationId",
 * "deliveryId"}}, for the site's service worker to show.
 */
final class WebPushProvider implements DeliveryProvider<PushDeliveryRequested> {

  static final String NAME = "webpush";
  private static final Logger log = LoggerFactory.getLogger(WebPushProvider.class);
  private static final Duration TOKEN_LIFETIME = Duration.ofHours(12);

  /** A VAPID token for one push service origin, reused until an hour before it expires. */
  private record Vapid(String header, Instant refreshAt) {}

  private final WebClient client;
  private final PushProperties.WebPush settings;
  private final ECPrivateKey vapidKey;
  private final JsonMapper json;
  private final Clock clock;
  private final Map<String, Vapid> vapidByOrigin = new ConcurrentHashMap<>();

  WebPushProvider(WebClient client, PushProperties.WebPush settings, JsonMapper json, Clock clock)
      throws GeneralSecurityException {
    this.client = client;
    this.settings = settings;
    this.vapidKey = P256.privateKey(P256.base64Url(settings.vapidPrivateKey()));
    this.json = json;
    this.clock = clock;
    log.info("Web Push encryption uses {} for P-256", SenderKeyAgreement.fastest().name());
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Each push service (origin) has its own rate limiter. */
  @Override
  public String account(PushDeliveryRequested delivery, DeliveryRef ref) {
    return origin(URI.create(delivery.getDeviceToken()));
  }

  @Override
  public CompletableFuture<SendOutcome> send(
      PushDeliveryRequested delivery, DeliveryRef ref, int attempt) {
    URI endpoint;
    byte[] body;
    String authorization;
    try {
      endpoint = URI.create(delivery.getDeviceToken());
      if (!"https".equals(endpoint.getScheme()) && !"http".equals(endpoint.getScheme())) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      body =
          WebPushCrypto.encrypt(
              json.writeValueAsBytes(payload(delivery)),
              delivery.getWebPush().getP256dh(),
              delivery.getWebPush().getAuth());
      authorization = vapid(origin(endpoint));
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(
          new SendOutcome.Permanent(
              "SUBSCRIPTION_INVALID",
              "subscription endpoint or keys unusable: " + e.getMessage(),
              SendOutcome.Cause.CONTACT_INVALID));
    } catch (GeneralSecurityException | JOSEException e) {
      return CompletableFuture.completedFuture(
          new SendOutcome.Permanent(
              "ENCRYPTION_FAILED", e.getMessage(), SendOutcome.Cause.REJECTED));
    }
    return ProviderHttp.exchange(
            client
                .post()
                .uri(endpoint)
                .header(HttpHeaders.AUTHORIZATION, authorization)
                .header("TTL", Long.toString(settings.ttl().toSeconds()))
                .header("Urgency", settings.urgency())
                .header(HttpHeaders.CONTENT_ENCODING, "aes128gcm")
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .bodyValue(body))
        .thenApply(this::outcome);
  }

  Map<String, Object> payload(PushDeliveryRequested delivery) {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("title", delivery.getTitle());
    payload.put("body", delivery.getBody());
    if (delivery.getImageUrl() != null) {
      payload.put("image", delivery.getImageUrl());
    }
    if (delivery.getLink() != null) {
      payload.put("url", delivery.getLink());
    }
    payload.put("data", delivery.getData());
    payload.put("notificationId", delivery.getNotificationId());
    payload.put("deliveryId", delivery.getDeliveryId());
    return payload;
  }

  private SendOutcome outcome(ProviderHttp.Response response) {
    int status = response.status();
    if (response.ok()) {
      return new SendOutcome.Accepted(response.headers().getFirst(HttpHeaders.LOCATION));
    }
    String code = "HTTP_" + status;
    String message =
        response.body().isBlank() ? "push service answered " + status : response.body().trim();
    if (status == 404 || status == 410) {
      return new SendOutcome.Permanent(
          code,
          "subscription expired or unsubscribed: " + message,
          SendOutcome.Cause.CONTACT_INVALID);
    }
    return ProviderHttp.byStatus(
        status, code, message, ProviderHttp.retryAfter(response.headers(), clock));
  }

  private String vapid(String origin) throws JOSEException {
    Vapid cached = vapidByOrigin.get(origin);
    Instant now = clock.instant();
    if (cached != null && now.isBefore(cached.refreshAt())) {
      return cached.header();
    }
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .audience(origin)
            .expirationTime(Date.from(now.plus(TOKEN_LIFETIME)))
            .subject(settings.subject())
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new ECDSASigner(vapidKey));
    String header = "vapid t=" + jwt.serialize() + ", k=" + settings.vapidPublicKey();
    vapidByOrigin.put(
        origin, new Vapid(header, now.plus(TOKEN_LIFETIME).minus(Duration.ofHours(1))));
    return header;
  }

  static String origin(URI endpoint) {
    String origin = endpoint.getScheme() + "://" + endpoint.getHost();
    return endpoint.getPort() < 0 ? origin : origin + ":" + endpoint.getPort();
  }
}
