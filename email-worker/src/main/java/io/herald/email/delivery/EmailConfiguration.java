package io.herald.email.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.worker.DeliveryChannel;
import io.herald.worker.ProviderHttp;
import io.herald.worker.WorkerProperties;
import jakarta.mail.internet.AddressException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/** The e-mail channel and its providers: SMTP always, SendGrid when it has an API key. */
@Configuration(proxyBeanMethods = false)
class EmailConfiguration {

  /**
   * {@code notification.email.v1}. Providers are tried in the order {@code
   * herald.worker.provider-order} gives (per tenant under {@code herald.worker.tenants}): when the
   * first one's circuit is open or it fails transiently, the next one gets the mail.
   */
  @Bean
  DeliveryChannel<EmailDeliveryRequested> emailChannel() {
    return DeliveryChannel.of(
        Channel.EMAIL, TopicCatalog.NOTIFICATION_EMAIL, EmailDeliveryRequested.class, "to");
  }

  @Bean
  SmtpProvider smtpProvider(JavaMailSenderImpl mail, EmailProperties properties)
      throws AddressException {
    return new SmtpProvider(mail, properties);
  }

  @Bean
  @ConditionalOnExpression("'${herald.email.sendgrid.api-key:}' != ''")
  SendGridProvider sendGridProvider(
      EmailProperties properties,
      WorkerProperties worker,
      JsonMapper json,
      WebClient.Builder webClients)
      throws AddressException {
    WebClient client =
        ProviderHttp.client(
            webClients,
            SendGridProvider.NAME,
            properties.sendgrid().baseUrl(),
            worker.provider(SendGridProvider.NAME).maxConcurrency());
    return new SendGridProvider(client, properties, json);
  }
}
