package io.herald.push;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Delivers push messages through FCM HTTP v1 and Web Push. */
@SpringBootApplication
public class PushWorkerApplication {

  public static void main(String[] args) {
    SpringApplication.run(PushWorkerApplication.class, args);
  }
}
