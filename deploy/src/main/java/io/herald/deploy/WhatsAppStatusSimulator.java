package io.herald.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Plays Meta's part after a message is sent: for every message the WhatsApp simulator accepted, it
 * POSTs the status callbacks the Cloud API would ({@code delivered}, then {@code read}) to the
 * gateway's webhook, signed with the app secret as {@code X-Hub-Signature-256}.
 *
 * <p>Example: {@code ./herald whatsapp-statuses} after sending a WhatsApp notification.
 */
final class WhatsAppStatusSimulator {

  /** A message the simulator accepted. */
  record Sent(String messageId, String to, String callbackData) {}

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private WhatsAppStatusSimulator() {}

  /** The messages the WhatsApp simulator accepted, oldest first. */
  static List<Sent> sentMessages(String simulatorsBase) throws IOException {
    JsonNode kept = JSON.readTree(Http.get(simulatorsBase + "/__admin/herald/whatsapp-messages"));
    List<Sent> sent = new ArrayList<>();
    for (JsonNode message : kept) {
      sent.add(
          new Sent(
              message.path("id").asString(),
              message.path("to").asString(""),
              message.path("callbackData").asString(null)));
    }
    return sent;
  }

  /**
   * Reports {@code statuses} (e.g. delivered, read) of every sent message; returns how many
   * callbacks the gateway accepted.
   */
  static int report(
      String simulatorsBase, String gatewayUrl, String appSecret, List<String> statuses)
      throws IOException {
    int accepted = 0;
    long now = System.currentTimeMillis() / 1000;
    for (Sent message : sentMessages(simulatorsBase)) {
      for (String status : statuses) {
        String body = callback(message, status, now);
        int code =
            Http.post(
                    gatewayUrl + "/webhooks/whatsapp",
                    body,
                    "Content-Type",
                    "application/json",
                    "X-Hub-Signature-256",
                    sign(body, appSecret))
                .statusCode();
        if (code == 200) {
          accepted++;
        } else {
          throw new IOException("the gateway answered " + code + " to a " + status + " callback");
        }
      }
    }
    return accepted;
  }

  static String callback(Sent message, String status, long timestamp) {
    var statusNode = JSON.createObjectNode();
    statusNode.put("id", message.messageId());
    statusNode.put("status", status);
    statusNode.put("timestamp", Long.toString(timestamp));
    statusNode.put("recipient_id", message.to().replace("+", ""));
    if (message.callbackData() != null) {
      statusNode.put("biz_opaque_callback_data", message.callbackData());
    }
    var value = JSON.createObjectNode();
    value.put("messaging_product", "whatsapp");
    value
        .putObject("metadata")
        .put("display_phone_number", "15550783881")
        .put("phone_number_id", ProviderCredentials.WHATSAPP_PHONE_NUMBER_ID);
    value.putArray("statuses").add(statusNode);
    var root = JSON.createObjectNode();
    root.put("object", "whatsapp_business_account");
    var change = JSON.createObjectNode();
    change.set("value", value);
    change.put("field", "messages");
    var entry = JSON.createObjectNode();
    entry.put("id", "102290129340398");
    entry.putArray("changes").add(change);
    root.putArray("entry").add(entry);
    return JSON.writeValueAsString(root);
  }

  static String sign(String body, String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256="
          + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
