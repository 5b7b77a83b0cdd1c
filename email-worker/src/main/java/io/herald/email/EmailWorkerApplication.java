package io.herald.email;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Delivers the e-mails of {@code notification.email.v1} over SMTP. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class EmailWorkerApplication {

  public static void main(String[] args) {
    SpringApplication.run(EmailWorkerApplication.class, args);
  }
}
