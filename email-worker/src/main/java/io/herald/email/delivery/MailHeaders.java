package io.herald.email.delivery;

import io.herald.events.v1.EmailDeliveryRequested;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The headers Herald adds to every e-mail, whichever provider sends it: the delivery id, and for
 * mail that is not critical the unsubscribe headers of RFC 2369 and RFC 8058 (one-click).
 */
final class MailHeaders {

  static final String DELIVERY_ID = "X-Herald-Delivery-Id";
  static final String LIST_UNSUBSCRIBE = "List-Unsubscribe";
  static final String LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post";

  private MailHeaders() {}

  static Map<String, String> of(EmailDeliveryRequested delivery, EmailProperties properties) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(DELIVERY_ID, delivery.getDeliveryId());
    if (delivery.getCritical()) {
      return headers;
    }
    StringBuilder unsubscribe = new StringBuilder();
    boolean oneClick = false;
    if (properties.unsubscribeUrl() != null && !properties.unsubscribeUrl().isBlank()) {
      unsubscribe.append('<').append(fill(properties.unsubscribeUrl(), delivery)).append('>');
      oneClick =
          properties.unsubscribeUrl().startsWith("https://")
              || properties.unsubscribeUrl().startsWith("http://");
    }
    if (properties.unsubscribeMailto() != null && !properties.unsubscribeMailto().isBlank()) {
      if (!unsubscribe.isEmpty()) {
        unsubscribe.append(", ");
      }
      unsubscribe
          .append("<mailto:")
          .append(properties.unsubscribeMailto())
          .append("?subject=unsubscribe%20")
          .append(encode(delivery.getCategory()))
          .append('>');
    }
    if (!unsubscribe.isEmpty()) {
      headers.put(LIST_UNSUBSCRIBE, unsubscribe.toString());
      if (oneClick) {
        headers.put(LIST_UNSUBSCRIBE_POST, "List-Unsubscribe=One-Click");
      }
    }
    return headers;
  }

  private static String fill(String template, EmailDeliveryRequested delivery) {
    return template
        .replace("{tenant}", encode(delivery.getTenantId()))
        .replace("{user}", encode(delivery.getUserId()))
        .replace("{category}", encode(delivery.getCategory()));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
