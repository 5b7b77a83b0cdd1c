package io.herald.notification.subscribers;

import java.util.Optional;

/**
 * A user who can be notified, with the contact points known for them.
 *
 * <p>Example: {@code new Subscriber("acme", "bob", Optional.of("bob@acme.example"),
 * Optional.empty(), "en")}.
 */
public record Subscriber(
    String tenantId, String userId, Optional<String> email, Optional<String> phone, String locale) {

  /** A user id named in a request but not (yet) registered: reachable in-app only. */
  public static Subscriber unregistered(String tenantId, String userId) {
    return new Subscriber(tenantId, userId, Optional.empty(), Optional.empty(), "en");
  }
}
