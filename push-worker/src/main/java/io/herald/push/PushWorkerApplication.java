package io.herald.push;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Delivers the messages of {@code notification.push.v1} over FCM HTTP v1 and Web Push. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PushWorkerApplication {

  public static void main(String[] args) {
    SpringApplication.run(PushWorkerApplication.class, args);
  }
}
