package io.herald.notification.preferences;

import io.herald.events.v1.Channel;
import java.util.Map;
import java.util.Optional;

/**
 * How the three levels combine, most specific first: the user's choice for the category and
 * channel, then the user's choice for the channel, then the tenant's default for the category and
 * channel, else delivered. A critical category is always delivered.
 *
 * <p>Example: tenant default marketing × EMAIL off, user bob EMAIL on for every category: bob gets
 * marketing e-mail, everyone else does not.
 */
public final class PreferenceRules {

  /** The user-level category that stands for every category. */
  public static final String EVERY_CATEGORY = "*";

  /** The user id under which a tenant's default quiet hours are kept. */
  public static final String EVERY_USER = "*";

  private PreferenceRules() {}

  public static boolean allows(
      boolean critical,
      Optional<Boolean> userCategory,
      Optional<Boolean> userGlobal,
      Optional<Boolean> tenantDefault) {
    if (critical) {
      return true;
    }
    return userCategory.or(() -> userGlobal).or(() -> tenantDefault).orElse(true);
  }

  /** Channels a user can choose; UNKNOWN is only a reader's fallback. */
  public static Optional<Channel> channel(String name) {
    try {
      Channel channel = Channel.valueOf(name);
      return channel == Channel.UNKNOWN ? Optional.empty() : Optional.of(channel);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static boolean isChannel(String name) {
    return channel(name).isPresent();
  }

  static <V> Map<String, V> nullSafe(Map<String, V> map) {
    return map == null ? Map.of() : map;
  }
}
