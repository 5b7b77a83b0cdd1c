package io.herald.support.web;

import java.net.URI;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;

/**
 * Answers {@link ApiException}s and unreadable bodies as {@code application/problem+json}, in every
 * reactive Herald service ({@link HeraldWebConfiguration}). A service's own advice ordered before
 * this one takes precedence for the exceptions it handles.
 */
@RestControllerAdvice
public class ApiProblemHandler {

  @ExceptionHandler(ApiException.class)
  ResponseEntity<ProblemDetail> api(ApiException e, ServerWebExchange exchange) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
    problem.setType(URI.create(Problems.type(e.kind())));
    problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
    if (!e.errors().isEmpty()) {
      problem.setProperty("errors", e.errors());
    }
    e.properties().forEach(problem::setProperty);
    return ResponseEntity.status(e.status()).body(problem);
  }

  @ExceptionHandler(ServerWebInputException.class)
  ResponseEntity<ProblemDetail> unreadable(ServerWebInputException e, ServerWebExchange exchange) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(
            e.getStatusCode(), "The request body is not readable JSON of the expected shape.");
    problem.setType(URI.create(Problems.type("malformed-request")));
    problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
    return ResponseEntity.status(e.getStatusCode()).body(problem);
  }
}
