package io.herald.email.delivery;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * E-mail settings; the SMTP server itself is configured with {@code spring.mail.*}.
 *
 * @param from the sender, e.g. {@code Herald <no-reply@herald.local>}
 */
@ConfigurationProperties("herald.email")
public record EmailProperties(String from) {

  public EmailProperties {
    if (from == null || from.isBlank()) {
      from = "Herald <no-reply@herald.local>";
    }
  }
}
