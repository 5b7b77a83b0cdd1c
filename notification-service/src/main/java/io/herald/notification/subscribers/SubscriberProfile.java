package io.herald.notification.subscribers;

import io.herald.events.v1.PushContactPoint;
import io.herald.events.v1.SubscriberUpdated;
import io.herald.events.v1.WebPushKeys;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A subscriber as the API shows it and the subscriber topic carries it.
 *
 * <p>Example JSON: {@code {"userId": "bob", "roles": ["editor"], "email": "bob@acme.example",
 * "phone": "+15550100002", "locale": "pt-BR", "timeZone": "Europe/Lisbon", "pushContacts":
 * [{"platform": "FCM", "token": "f3k..."}, {"platform": "WEB_PUSH", "token":
 * "https://push.example/abc", "keys": {"p256dh": "BNc...", "auth": "tBH..."}}]}}.
 */
public record SubscriberProfile(
    String userId,
    List<String> roles,
    String email,
    String phone,
    String locale,
    String timeZone,
    List<PushContact> pushContacts) {

  public SubscriberProfile {
    roles = roles == null ? List.of() : List.copyOf(roles);
    locale = locale == null || locale.isBlank() ? "en" : locale;
    timeZone = timeZone == null || timeZone.isBlank() ? "UTC" : timeZone;
    pushContacts = pushContacts == null ? List.of() : List.copyOf(pushContacts);
  }

  /** One device or browser; {@code keys} only for {@code WEB_PUSH}. */
  public record PushContact(String platform, String token, Keys keys) {

    /** Web Push subscription keys (RFC 8291). */
    public record Keys(String p256dh, String auth) {}
  }

  public SubscriberProfile withUserId(String id) {
    return new SubscriberProfile(id, roles, email, phone, locale, timeZone, pushContacts);
  }

  public static SubscriberProfile of(SubscriberUpdated event) {
    return new SubscriberProfile(
        event.getUserId(),
        event.getRoles(),
        event.getEmail(),
        event.getPhone(),
        event.getLocale(),
        event.getTimeZone(),
        event.getPushContacts().stream()
            .map(
                p ->
                    new PushContact(
                        p.getPlatform(),
                        p.getToken(),
                        p.getWebPush() == null
                            ? null
                            : new PushContact.Keys(
                                p.getWebPush().getP256dh(), p.getWebPush().getAuth())))
            .toList());
  }

  public SubscriberUpdated toEvent(String tenantId, Instant now) {
    return SubscriberUpdated.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenantId)
        .setOccurredAt(now)
        .setUserId(userId)
        .setRoles(roles)
        .setEmail(email)
        .setPhone(phone)
        .setLocale(locale)
        .setTimeZone(timeZone)
        .setPushContacts(
            pushContacts.stream()
                .map(
                    p ->
                        new PushContactPoint(
                            p.platform(),
                            p.token(),
                            p.keys() == null
                                ? null
                                : new WebPushKeys(p.keys().p256dh(), p.keys().auth())))
                .toList())
        .build();
  }

  /** The key of a subscriber on {@code notification.subscribers.v1}. */
  public static String key(String tenantId, String userId) {
    return tenantId + "/" + userId;
  }
}
