package io.herald.email.delivery;

import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.worker.DeliveryProvider;
import io.herald.worker.DeliveryRef;
import io.herald.worker.SendOutcome;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.mail.javamail.MimeMessageHelper;

/**
 * SMTP through Jakarta Mail over a small pool of connections kept open, each on its own thread.
 * Reply codes decide the outcome: 5xx is permanent (a refused recipient makes the address invalid),
 * 4xx is transient, a failed login is a configuration error, a lost connection is transient.
 */
final class SmtpProvider implements DeliveryProvider<EmailDeliveryRequested>, DisposableBean {

  static final String NAME = "smtp";

  private final JavaMailSenderImpl mail;
  private final Session session;
  private final EmailProperties properties;
  private final InternetAddress from;
  private final BlockingQueue<Transport> connections;
  private final ExecutorService threads;

  SmtpProvider(JavaMailSenderImpl mail, EmailProperties properties) throws AddressException {
    this.mail = mail;
    this.session = mail.getSession();
    this.properties = properties;
    this.from = new InternetAddress(properties.from(), true);
    int size = properties.smtpConnections();
    this.connections = new ArrayBlockingQueue<>(size);
    AtomicInteger n = new AtomicInteger();
    this.threads =
        Executors.newFixedThreadPool(
            size,
            r -> {
              Thread t = new Thread(r, "smtp-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletableFuture<SendOutcome> send(
      EmailDeliveryRequested delivery, DeliveryRef ref, int attempt) {
    return CompletableFuture.supplyAsync(() -> deliver(delivery), threads);
  }

  private SendOutcome deliver(EmailDeliveryRequested delivery) {
    MimeMessage message;
    try {
      message = message(delivery);
    } catch (AddressException e) {
      return new SendOutcome.Permanent(
          "ADDRESS_INVALID",
          "'" + delivery.getTo() + "' is not a valid address: " + e.getMessage(),
          SendOutcome.Cause.CONTACT_INVALID);
    } catch (MessagingException e) {
      return new SendOutcome.Permanent(
          "MESSAGE_INVALID",
          "message cannot be built: " + e.getMessage(),
          SendOutcome.Cause.REJECTED);
    }
    Transport transport = connections.poll();
    try {
      if (transport == null) {
        transport = session.getTransport(mail.getProtocol() == null ? "smtp" : mail.getProtocol());
      }
      if (!transport.isConnected()) {
        transport.connect(mail.getHost(), mail.getPort(), mail.getUsername(), mail.getPassword());
      }
      transport.sendMessage(message, message.getAllRecipients());
      return new SendOutcome.Accepted(message.getMessageID());
    } catch (MessagingException e) {
      close(transport);
      transport = null;
      return classify(e);
    } finally {
      if (transport != null && !connections.offer(transport)) {
        close(transport);
      }
    }
  }

  private MimeMessage message(EmailDeliveryRequested delivery) throws MessagingException {
    InternetAddress to = new InternetAddress(delivery.getTo(), true);
    String domain = from.getAddress().substring(from.getAddress().indexOf('@') + 1);
    MimeMessage message =
        new MimeMessage(session) {
          @Override
          protected void updateMessageID() throws MessagingException {
            // Stable per delivery: a message sent twice in the ledger's window is recognisable.
            setHeader("Message-ID", "<" + delivery.getDeliveryId() + "@" + domain + ">");
          }
        };
    boolean multipart = delivery.getHtmlBody() != null;
    MimeMessageHelper helper = new MimeMessageHelper(message, multipart, "UTF-8");
    helper.setFrom(from);
    helper.setTo(to);
    helper.setSubject(delivery.getSubject());
    if (multipart) {
      helper.setText(delivery.getTextBody(), delivery.getHtmlBody());
    } else {
      helper.setText(delivery.getTextBody());
    }
    for (Map.Entry<String, String> header : MailHeaders.of(delivery, properties).entrySet()) {
      message.setHeader(header.getKey(), header.getValue());
    }
    message.saveChanges();
    return message;
  }

  static SendOutcome classify(MessagingException e) {
    if (e instanceof AuthenticationFailedException) {
      return new SendOutcome.Permanent(
          "SMTP_AUTH_FAILED",
          "SMTP login refused: " + e.getMessage(),
          SendOutcome.Cause.CONFIGURATION);
    }
    for (Exception next = e; next != null; ) {
      if (next instanceof SMTPAddressFailedException refused) {
        return byReplyCode(refused.getReturnCode(), refused.getMessage(), true);
      }
      if (next instanceof SMTPSendFailedException failed && failed.getReturnCode() > 0) {
        return byReplyCode(failed.getReturnCode(), failed.getMessage(), false);
      }
      next = next instanceof MessagingException m ? m.getNextException() : null;
    }
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException) {
        return new SendOutcome.Transient("SMTP_CONNECTION", cause.toString());
      }
    }
    if (e instanceof SendFailedException) {
      return new SendOutcome.Permanent("SMTP_REFUSED", e.getMessage(), SendOutcome.Cause.REJECTED);
    }
    return new SendOutcome.Transient("SMTP_ERROR", e.toString());
  }

  /**
   * RFC 5321 reply codes: 4yz transient, 5yz permanent; 550/551/553 on a recipient: dead address.
   */
  private static SendOutcome byReplyCode(int code, String message, boolean recipient) {
    String name = "SMTP_" + code;
    String text = message == null ? name : message.trim();
    if (code >= 400 && code < 500) {
      return new SendOutcome.Transient(name, text);
    }
    boolean deadAddress = recipient && (code == 550 || code == 551 || code == 553);
    return new SendOutcome.Permanent(
        name, text, deadAddress ? SendOutcome.Cause.CONTACT_INVALID : SendOutcome.Cause.REJECTED);
  }

  private static void close(Transport transport) {
    if (transport != null) {
      try {
        transport.close();
      } catch (MessagingException ignored) {
        // already broken
      }
    }
  }

  @Override
  public void destroy() {
    threads.shutdown();
    connections.forEach(SmtpProvider::close);
  }
}
