package io.herald.gateway.errors;

import io.herald.support.web.Problems;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;

/**
 * Maps every error of the API to an RFC 9457 problem with a stable {@code type} (listed in
 * docs/problems.md). Validation problems carry an {@code errors} list of field and message. Ordered
 * before service-support's {@code ApiProblemHandler}, which answers the {@code ApiException}s.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class GatewayProblemHandler extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(GatewayProblemHandler.class);

  @Override
  protected Mono<ResponseEntity<Object>> handleWebExchangeBindException(
      WebExchangeBindException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      ServerWebExchange exchange) {
    ProblemDetail problem =
        problem(HttpStatus.BAD_REQUEST, "validation-failed", "The request body is not valid.");
    List<Map<String, String>> errors =
        ex.getBindingResult().getAllErrors().stream()
            .map(
                error ->
                    Map.of(
                        "field",
                        error instanceof org.springframework.validation.FieldError field
                            ? field.getField()
                            : error.getObjectName(),
                        "message",
                        String.valueOf(error.getDefaultMessage())))
            .toList();
    problem.setProperty("errors", errors);
    return Mono.just(ResponseEntity.badRequest().body(problem));
  }

  @Override
  protected Mono<ResponseEntity<Object>> handleServerWebInputException(
      ServerWebInputException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      ServerWebExchange exchange) {
    String detail =
        ex.getReason() == null ? "The request could not be read." : ex.getReason() + ".";
    return Mono.just(
        ResponseEntity.badRequest()
            .body(problem(HttpStatus.BAD_REQUEST, "malformed-request", detail)));
  }

  /**
   * Errors of the framework (no such resource, a method or media type not supported): the
   * framework's problem, with Herald's type for its status instead of {@code about:blank}.
   */
  @Override
  protected Mono<ResponseEntity<Object>> handleExceptionInternal(
      Exception ex,
      Object body,
      HttpHeaders headers,
      HttpStatusCode status,
      ServerWebExchange exchange) {
    return super.handleExceptionInternal(ex, body, headers, status, exchange)
        .map(
            entity -> {
              if (entity.getBody() instanceof ProblemDetail problem
                  && (problem.getType() == null
                      || "about:blank".equals(problem.getType().toString()))) {
                problem.setType(URI.create(Problems.type(Problems.kindOf(entity.getStatusCode()))));
                if (problem.getInstance() == null) {
                  problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
                }
              }
              return entity;
            });
  }

  @ExceptionHandler(InvalidIdempotencyKeyException.class)
  ResponseEntity<ProblemDetail> invalidIdempotencyKey(InvalidIdempotencyKeyException ex) {
    return ResponseEntity.badRequest()
        .body(problem(HttpStatus.BAD_REQUEST, "invalid-idempotency-key", ex.getMessage()));
  }

  @ExceptionHandler(BrokerUnavailableException.class)
  ResponseEntity<ProblemDetail> brokerUnavailable(BrokerUnavailableException ex) {
    Throwable root = ex;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    log.warn("Command refused, broker did not acknowledge: {}", root.toString(), ex);
    ProblemDetail problem =
        ex.mayHaveBeenAccepted()
            ? problem(
                HttpStatus.SERVICE_UNAVAILABLE,
                "broker-unavailable",
                "The broker did not confirm the command in time; it may still have been accepted."
                    + " Retry with the same Idempotency-Key: a retry with the key is applied once.")
            : problem(
                HttpStatus.SERVICE_UNAVAILABLE,
                "broker-unavailable",
                "The command was not accepted: it never reached the broker. Retry, with the same"
                    + " Idempotency-Key if it had one.");
    problem.setProperty("accepted", ex.mayHaveBeenAccepted() ? "unknown" : "no");
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, "5")
        .body(problem);
  }

  private static ProblemDetail problem(HttpStatus status, String kind, String detail) {
    return Problems.of(status, kind, detail, null);
  }
}
