package io.herald.whatsapp;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Delivers the messages of {@code notification.whatsapp.v1} through the WhatsApp Cloud API. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class WhatsAppWorkerApplication {

  public static void main(String[] args) {
    SpringApplication.run(WhatsAppWorkerApplication.class, args);
  }
}
