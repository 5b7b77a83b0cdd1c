package io.herald.support.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * The last word on errors that no controller advice answered (no such path, a method or media type
 * the path does not take, a body too large, an unexpected failure): a problem document with a
 * stable type instead of the framework's default error body. Unexpected failures are logged with
 * their stack trace and answered 500 {@code internal-error} without details.
 */
public class ProblemWebExceptionHandler implements WebExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemWebExceptionHandler.class);

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
    if (exchange.getResponse().isCommitted()) {
      return Mono.error(ex);
    }
    String path = exchange.getRequest().getPath().value();
    ProblemDetail problem;
    if (ex instanceof DataBufferLimitException) {
      problem =
          Problems.of(
              HttpStatus.PAYLOAD_TOO_LARGE,
              "request-too-large",
              "The request body is larger than this endpoint reads.",
              path);
    } else if (ex instanceof DecodingException) {
      problem =
          Problems.of(
              HttpStatus.BAD_REQUEST,
              "malformed-request",
              "The request body could not be read.",
              path);
    } else if (ex instanceof ResponseStatusException status) {
      HttpStatus code = HttpStatus.resolve(status.getStatusCode().value());
      if (code == null) {
        code = HttpStatus.INTERNAL_SERVER_ERROR;
      }
      String kind = Problems.kindOf(code);
      String detail =
          status.getReason() != null && code.is4xxClientError()
              ? status.getReason()
              : code.getReasonPhrase();
      problem = Problems.of(code, kind, detail, path);
      if (ex instanceof MethodNotAllowedException notAllowed
          && !notAllowed.getSupportedMethods().isEmpty()) {
        exchange.getResponse().getHeaders().setAllow(notAllowed.getSupportedMethods());
      }
      if (code.is5xxServerError()) {
        log.error("{} {} failed", exchange.getRequest().getMethod(), path, ex);
      }
    } else {
      log.error("{} {} failed", exchange.getRequest().getMethod(), path, ex);
      problem =
          Problems.of(
              HttpStatus.INTERNAL_SERVER_ERROR,
              "internal-error",
              "An unexpected error occurred; it has been logged.",
              path);
    }
    exchange.getResponse().getHeaders().remove(HttpHeaders.CONTENT_LENGTH);
    return Problems.write(exchange.getResponse(), problem);
  }
}
