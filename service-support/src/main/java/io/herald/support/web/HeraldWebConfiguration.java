package io.herald.support.web;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.Order;

/**
 * Problem documents for every error of every reactive web service: {@link ApiException}s and
 * unreadable bodies from controllers ({@link ApiProblemHandler}), anything else ({@link
 * ProblemWebExceptionHandler}, ahead of the framework's default error handler).
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@Import(ApiProblemHandler.class)
public class HeraldWebConfiguration {

  @Bean
  @Order(-2)
  ProblemWebExceptionHandler problemWebExceptionHandler() {
    return new ProblemWebExceptionHandler();
  }
}
