package io.herald.publishing;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Owns posts, approvals and publishing jobs; declares the publishing results topic. */
@SpringBootApplication
public class PublishingApplication {

  public static void main(String[] args) {
    SpringApplication.run(PublishingApplication.class, args);
  }
}
