package io.herald.email.delivery;

import io.herald.worker.ProviderHttp;
import io.herald.worker.WorkerProperties;
import jakarta.mail.internet.AddressException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/** The e-mail providers: SMTP always, SendGrid when it has an API key. */
@Configuration(proxyBeanMethods = false)
class EmailConfiguration {

  @Bean
  SmtpProvider smtpProvider(JavaMailSenderImpl mail, EmailProperties properties)
      throws AddressException {
    return new SmtpProvider(mail, properties);
  }

  @Bean
  @ConditionalOnExpression("'${herald.email.sendgrid.api-key:}' != ''")
  SendGridProvider sendGridProvider(
      EmailProperties properties, WorkerProperties worker, JsonMapper json)
      throws AddressException {
    WebClient client =
        ProviderHttp.client(
            SendGridProvider.NAME,
            properties.sendgrid().baseUrl(),
            worker.provider(SendGridProvider.NAME).maxConcurrency());
    return new SendGridProvider(client, properties, json);
  }
}
