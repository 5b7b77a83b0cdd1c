package io.herald.email.delivery;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * E-mail settings; the SMTP server itself is configured with {@code spring.mail.*}.
 *
 * <p>Example:
 *
 * <pre>
 * herald.email:
 *   from: Acme &lt;no-reply@acme.example&gt;
 *   unsubscribe-url: https://app.acme.example/unsubscribe?tenant={tenant}&amp;user={user}&amp;category={category}
 *   sendgrid:
 *     base-url: https://api.sendgrid.com
 *     api-key: ${SENDGRID_API_KEY}
 * </pre>
 *
 * @param from the sender, e.g. {@code Herald <no-reply@herald.local>}
 * @param unsubscribeUrl one-click unsubscribe link (RFC 8058) of non-critical mail, with {@code
 *     {tenant}}, {@code {user}} and {@code {category}} filled in; none when blank
 * @param unsubscribeMailto mail address of the {@code List-Unsubscribe} header; none when blank
 * @param smtpConnections SMTP connections kept open, each sending one message at a time
 * @param sendgrid the SendGrid v3 Mail Send API; off unless it has an API key
 */
@ConfigurationProperties("herald.email")
public record EmailProperties(
    String from,
    String unsubscribeUrl,
    String unsubscribeMailto,
    Integer smtpConnections,
    SendGrid sendgrid) {

  public EmailProperties {
    if (from == null || from.isBlank()) {
      from = "Herald <no-reply@herald.local>";
    }
    smtpConnections = smtpConnections == null || smtpConnections < 1 ? 8 : smtpConnections;
    sendgrid = sendgrid == null ? new SendGrid(null, null) : sendgrid;
  }

  /**
   * @param baseUrl e.g. {@code https://api.sendgrid.com}
   * @param apiKey the bearer API key
   */
  public record SendGrid(String baseUrl, String apiKey) {

    public SendGrid {
      baseUrl = baseUrl == null || baseUrl.isBlank() ? "https://api.sendgrid.com" : baseUrl;
    }

    boolean enabled() {
      return apiKey != null && !apiKey.isBlank();
    }
  }
}
