package io.herald.support.web;

import java.nio.charset.StandardCharsets;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Mono;

/**
 * RFC 9457 problem documents written outside controllers (in web filters), where the framework's
 * problem handling does not reach. Each error kind has a stable {@code type}.
 *
 * <p>Example: {@code Problems.write(response, HttpStatus.UNAUTHORIZED, "unauthorized", "Missing
 * bearer token", "/api/notifications")}.
 */
public final class Problems {

  /** Prefix of every Herald problem type; the kinds are listed in docs/problems.md. */
  public static final String TYPE_PREFIX = "https://herald.dev/problems/";

  private Problems() {}

  public static String type(String kind) {
    return TYPE_PREFIX + kind;
  }

  public static Mono<Void> write(
      ServerHttpResponse response, HttpStatus status, String kind, String detail, String instance) {
    response.setStatusCode(status);
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    String body =
        "{\"type\":"
            + quote(type(kind))
            + ",\"title\":"
            + quote(status.getReasonPhrase())
            + ",\"status\":"
            + status.value()
            + ",\"detail\":"
            + quote(detail)
            + ",\"instance\":"
            + quote(instance)
            + "}";
    DataBuffer buffer = response.bufferFactory().wrap(body.getBytes(StandardCharsets.UTF_8));
    return response.writeWith(Mono.just(buffer));
  }

  static String quote(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
