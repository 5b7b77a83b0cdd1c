package io.herald.email.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.worker.SendOutcome;
import jakarta.mail.Address;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.internet.InternetAddress;
import java.net.ConnectException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;

/** SMTP reply codes and Jakarta Mail failures, classified the way every worker classifies. */
class SmtpProviderTest {

  @Test
  void shouldTreatARefusedRecipientAsADeadAddress() throws Exception {
    SendOutcome outcome =
        SmtpProvider.classify(refused(550, "5.1.1 <bob@acme.example>: user unknown"));

    assertThat(outcome).isInstanceOf(SendOutcome.Permanent.class);
    assertThat(((SendOutcome.Permanent) outcome).cause())
        .isEqualTo(SendOutcome.Cause.CONTACT_INVALID);
    assertThat(outcome.code()).isEqualTo("SMTP_550");
  }

  @Test
  void shouldRetryATemporarilyRefusedRecipient() throws Exception {
    SendOutcome outcome = SmtpProvider.classify(refused(451, "4.7.1 greylisted, try again later"));

    assertThat(outcome).isInstanceOf(SendOutcome.Transient.class);
    assertThat(outcome.code()).isEqualTo("SMTP_451");
  }

  @Test
  void shouldRejectAMessageTheServerRefusesForGood() {
    SendOutcome outcome =
        SmtpProvider.classify(
            new SMTPSendFailedException(
                "DATA", 554, "5.7.1 message content rejected", null, null, null, null));

    assertThat(outcome).isInstanceOf(SendOutcome.Permanent.class);
    assertThat(((SendOutcome.Permanent) outcome).cause()).isEqualTo(SendOutcome.Cause.REJECTED);
  }

  @Test
  void shouldRetryWhenTheServerIsBusy() {
    SendOutcome outcome =
        SmtpProvider.classify(
            new SMTPSendFailedException(
                "MAIL FROM", 421, "4.3.2 service not available", null, null, null, null));

    assertThat(outcome).isInstanceOf(SendOutcome.Transient.class);
    assertThat(outcome.code()).isEqualTo("SMTP_421");
  }

  @Test
  void shouldTreatARefusedLoginAsAConfigurationError() {
    SendOutcome outcome =
        SmtpProvider.classify(new AuthenticationFailedException("535 5.7.8 bad credentials"));

    assertThat(((SendOutcome.Permanent) outcome).cause())
        .isEqualTo(SendOutcome.Cause.CONFIGURATION);
  }

  @Test
  void shouldRetryALostConnection() {
    SendOutcome outcome =
        SmtpProvider.classify(
            new MessagingException("could not connect", new ConnectException("refused")));

    assertThat(outcome).isInstanceOf(SendOutcome.Transient.class);
    assertThat(outcome.code()).isEqualTo("SMTP_CONNECTION");
  }

  /** A RCPT TO refusal as Jakarta Mail reports it: nested in a SendFailedException. */
  private static SendFailedException refused(int code, String text) throws Exception {
    InternetAddress to = new InternetAddress("bob@acme.example");
    SMTPAddressFailedException address = new SMTPAddressFailedException(to, "RCPT TO", code, text);
    return new SendFailedException(
        "Invalid Addresses", address, new Address[0], new Address[0], new Address[] {to});
  }
}
