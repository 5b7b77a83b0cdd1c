package io.herald.whatsapp;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Delivers WhatsApp messages through the WhatsApp Cloud API. */
@SpringBootApplication
public class WhatsAppWorkerApplication {

  public static void main(String[] args) {
    SpringApplication.run(WhatsAppWorkerApplication.class, args);
  }
}
