package io.herald.whatsapp.delivery;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The WhatsApp Cloud API and the business phone numbers Herald sends from.
 *
 * <p>Example:
 *
 * <pre>
 * herald.whatsapp:
 *   base-url: https://graph.facebook.com
 *   api-version: v21.0
 *   phone-number-id: "106540352242922"
 *   access-token: ${WHATSAPP_ACCESS_TOKEN}
 *   accounts:
 *     globex:
 *       phone-number-id: "209876543210987"
 *       access-token: ${GLOBEX_WHATSAPP_TOKEN}
 * </pre>
 *
 * @param phoneNumberId the default sender, for tenants without an account of their own
 * @param accessToken the default sender's system-user token
 * @param accounts senders by tenant
 */
@ConfigurationProperties("herald.whatsapp")
public record WhatsAppProperties(
    String baseUrl,
    String apiVersion,
    String phoneNumberId,
    String accessToken,
    Map<String, Account> accounts) {

  public WhatsAppProperties {
    baseUrl = baseUrl == null || baseUrl.isBlank() ? "https://graph.facebook.com" : baseUrl;
    apiVersion = apiVersion == null || apiVersion.isBlank() ? "v21.0" : apiVersion;
    accounts = accounts == null ? Map.of() : Map.copyOf(accounts);
  }

  /** The sender of a tenant's messages. */
  Account accountOf(String tenantId) {
    Account own = accounts.get(tenantId);
    return own != null ? own : new Account(phoneNumberId, accessToken);
  }

  public record Account(String phoneNumberId, String accessToken) {}
}
