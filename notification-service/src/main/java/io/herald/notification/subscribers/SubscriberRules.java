package io.herald.notification.subscribers;

import io.herald.notification.subscribers.SubscriberProfile.PushContact;
import java.net.URI;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IllformedLocaleException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What makes a subscriber profile valid, the same for the HTTP API (a 400 problem naming each
 * field) and the subscriber topic (the record goes to the dead-letter topic with the reasons).
 */
public final class SubscriberRules {

  /** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
  private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{6,14}");

  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final Set<String> ZONES = ZoneId.getAvailableZoneIds();
  private static final int MAX_ID = 200;

  private SubscriberRules() {}

  /** One broken rule: the JSON path of the field and what is wrong with it. */
  public record Violation(String field, String message) {
    @Override
    public String toString() {
      return field + ": " + message;
    }
  }

  public static List<Violation> check(SubscriberProfile p) {
    List<Violation> v = new ArrayList<>();
    if (p.userId() == null || p.userId().isBlank() || p.userId().length() > MAX_ID) {
      v.add(new Violation("userId", "must be 1 to " + MAX_ID + " characters"));
    }
    for (int i = 0; i < p.roles().size(); i++) {
      String role = p.roles().get(i);
      if (role == null || role.isBlank() || role.length() > MAX_ID || role.indexOf('\u001f') >= 0) {
        v.add(
            new Violation("roles[" + i + "]", "must be 1 to " + MAX_ID + " printable characters"));
      }
    }
    if (p.email() != null && !EMAIL.matcher(p.email()).matches()) {
      v.add(new Violation("email", "must be an e-mail address such as bob@example.com"));
    }
    if (p.phone() != null && !E164.matcher(p.phone()).matches()) {
      v.add(new Violation("phone", "must be E.164, a plus and 7 to 15 digits, e.g. +15551234567"));
    }
    if (!ZONES.contains(p.timeZone())) {
      v.add(new Violation("timeZone", "must be an IANA time zone such as Europe/Lisbon"));
    }
    try {
      String tag = new Locale.Builder().setLanguageTag(p.locale()).build().toLanguageTag();
      if (tag.equals("und")) {
        v.add(new Violation("locale", "must be a BCP 47 language tag such as en or pt-BR"));
      }
    } catch (IllformedLocaleException e) {
      v.add(new Violation("locale", "must be a BCP 47 language tag such as en or pt-BR"));
    }
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < p.pushContacts().size(); i++) {
      checkPushContact("pushContacts[" + i + "]", p.pushContacts().get(i), tokens, v);
    }
    return v;
  }

  private static void checkPushContact(
      String field, PushContact c, Set<String> tokens, List<Violation> v) {
    if (c.token() == null || c.token().isBlank() || c.token().length() > 4096) {
      v.add(new Violation(field + ".token", "must be 1 to 4096 characters"));
      return;
    }
    if (!tokens.add(c.token())) {
      v.add(new Violation(field + ".token", "is listed twice"));
    }
    switch (c.platform() == null ? "" : c.platform()) {
      case "FCM" -> {
        if (c.keys() != null) {
          v.add(new Violation(field + ".keys", "only WEB_PUSH subscriptions have keys"));
        }
      }
      case "WEB_PUSH" -> {
        if (!isPushEndpoint(c.token())) {
          v.add(
              new Violation(
                  field + ".token",
                  "must be the subscription's https endpoint (http only on a loopback address)"));
        }
        if (c.keys() == null || isBlank(c.keys().p256dh()) || isBlank(c.keys().auth())) {
          v.add(new Violation(field + ".keys", "p256dh and auth are required for WEB_PUSH"));
        }
      }
      default -> v.add(new Violation(field + ".platform", "must be FCM or WEB_PUSH"));
    }
  }

  private static boolean isPushEndpoint(String value) {
    try {
      URI uri = URI.create(value);
      if (uri.getHost() == null) {
        return false;
      }
      // Push services are https; plain http is accepted only for local push simulators.
      boolean loopback = uri.getHost().equals("127.0.0.1") || uri.getHost().equals("localhost");
      return "https".equals(uri.getScheme()) || ("http".equals(uri.getScheme()) && loopback);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
