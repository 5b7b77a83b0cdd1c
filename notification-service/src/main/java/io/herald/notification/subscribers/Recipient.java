package io.herald.notification.subscribers;

import java.util.List;

/**
 * A user a notification goes to, with the contact points known for them. A user named in a request
 * but not registered is reachable in-app only.
 *
 * <p>Example: {@code new Recipient("bob", true, "bob@acme.example", "+15550100002", "en",
 * "Europe/Lisbon", List.of())}.
 *
 * @param timeZone the subscriber's IANA time zone; UTC for a user who is not registered
 */
public record Recipient(
    String userId,
    boolean registered,
    String email,
    String phone,
    String locale,
    String timeZone,
    List<PushContact> pushContacts) {

  public Recipient {
    pushContacts = List.copyOf(pushContacts);
  }

  public Recipient withPushContacts(List<PushContact> contacts) {
    return new Recipient(userId, registered, email, phone, locale, timeZone, contacts);
  }

  /**
   * One device or browser of a user: an FCM registration token, or a Web Push subscription
   * (endpoint with its {@code p256dh} and {@code auth} keys).
   */
  public record PushContact(String platform, String token, String p256dh, String auth) {}
}
