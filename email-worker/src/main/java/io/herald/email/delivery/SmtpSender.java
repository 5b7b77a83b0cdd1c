package io.herald.email.delivery;

import io.herald.events.v1.EmailDeliveryRequested;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMessageHelper;
import org.springframework.stereotype.Component;

/** Builds the MIME message of one delivery and hands it to the SMTP server. */
@Component
class SmtpSender {

  static final String DELIVERY_ID_HEADER = "X-Herald-Delivery-Id";

  private final JavaMailSender mail;
  private final EmailProperties properties;

  SmtpSender(JavaMailSender mail, EmailProperties properties) {
    this.mail = mail;
    this.properties = properties;
  }

  /**
   * Sends the e-mail and returns its Message-ID.
   *
   * @throws InvalidRecipientException when the address can never be delivered to
   */
  String send(EmailDeliveryRequested delivery) {
    InternetAddress to;
    try {
      to = new InternetAddress(delivery.getTo(), true);
    } catch (AddressException e) {
      throw new InvalidRecipientException(
          "recipient address '" + delivery.getTo() + "' is not valid: " + e.getMessage());
    }
    MimeMessage message = mail.createMimeMessage();
    try {
      boolean multipart = delivery.getHtmlBody() != null;
      MimeMessageHelper helper = new MimeMessageHelper(message, multipart, "UTF-8");
      helper.setFrom(properties.from());
      helper.setTo(to);
      helper.setSubject(delivery.getSubject());
      if (multipart) {
        helper.setText(delivery.getTextBody(), delivery.getHtmlBody());
      } else {
        helper.setText(delivery.getTextBody());
      }
      message.setHeader(DELIVERY_ID_HEADER, delivery.getDeliveryId());
    } catch (MessagingException e) {
      throw new InvalidRecipientException("message cannot be built: " + e.getMessage());
    }
    mail.send(message);
    try {
      return message.getMessageID();
    } catch (MessagingException e) {
      return null;
    }
  }
}
