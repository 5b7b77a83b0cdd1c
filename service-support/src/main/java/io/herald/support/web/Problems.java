package io.herald.support.web;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * RFC 9457 problem documents written outside controllers (in web filters), where the framework's
 * problem handling does not reach. Each error kind has a stable {@code type}; the document is the
 * framework's {@link ProblemDetail}, serialized the way controllers answer it.
 *
 * <p>Example: {@code Problems.write(response, Problems.of(HttpStatus.UNAUTHORIZED, "unauthorized",
 * "Missing bearer token", "/api/notifications"))}.
 */
public final class Problems {

  /** Prefix of every Herald problem type; the kinds are listed in docs/problems.md. */
  public static final String TYPE_PREFIX = "https://herald.dev/problems/";

  private static final JsonMapper JSON =
      JsonMapper.builder().addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();

  private static final Map<Integer, String> KINDS =
      Map.of(
          400, "malformed-request",
          401, "unauthorized",
          403, "forbidden",
          404, "not-found",
          405, "method-not-allowed",
          406, "not-acceptable",
          413, "request-too-large",
          415, "unsupported-media-type",
          429, "rate-limited",
          503, "service-unavailable");

  private Problems() {}

  /** The kind of a problem known only by its status (an error of the framework's). */
  public static String kindOf(HttpStatusCode status) {
    return KINDS.getOrDefault(
        status.value(), status.is5xxServerError() ? "internal-error" : "request-refused");
  }

  public static String type(String kind) {
    return TYPE_PREFIX + kind;
  }

  /** A problem of one of Herald's kinds; {@code instance} is the request path (may be null). */
  public static ProblemDetail of(HttpStatus status, String kind, String detail, String instance) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(URI.create(type(kind)));
    if (instance != null) {
      try {
        problem.setInstance(new URI(null, null, instance, null));
      } catch (URISyntaxException e) {
        // a path that is no URI reference stays out of the document
      }
    }
    return problem;
  }

  public static Mono<Void> write(
      ServerHttpResponse response, HttpStatus status, String kind, String detail, String instance) {
    return write(response, of(status, kind, detail, instance));
  }

  /** Answers {@code problem} as {@code application/problem+json} with its status. */
  public static Mono<Void> write(ServerHttpResponse response, ProblemDetail problem) {
    response.setStatusCode(HttpStatus.valueOf(problem.getStatus()));
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    DataBuffer buffer = response.bufferFactory().wrap(JSON.writeValueAsBytes(problem));
    return response.writeWith(Mono.just(buffer));
  }
}
