package io.herald.gateway.webhooks;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The WhatsApp webhook of the Meta app Herald sends from.
 *
 * @param appSecret the app secret that signs every callback ({@code X-Hub-Signature-256}); without
 *     it every callback is refused
 * @param verifyToken the token Meta echoes when the webhook is registered
 */
@ConfigurationProperties("herald.webhooks.whatsapp")
public record WhatsAppWebhookProperties(String appSecret, String verifyToken) {

  boolean configured() {
    return appSecret != null && !appSecret.isBlank();
  }
}
