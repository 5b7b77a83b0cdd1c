package io.herald.worker;

import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * HTTP plumbing the providers of every channel share: a non-blocking client with a connection pool
 * as large as the sends a provider may have in flight, responses read whole, {@code Retry-After}
 * parsing and the classification of HTTP statuses that no provider contradicts.
 *
 * <p>Example: {@code ProviderHttp.exchange(client.post().uri("/v3/mail/send").bodyValue(json))}
 * completes with the status, headers and body, whatever the status.
 */
public final class ProviderHttp {

  /** A provider's answer. */
  public record Response(int status, HttpHeaders headers, String body) {

    public boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  private ProviderHttp() {}

  /**
   * @param builder the service's builder: its observation makes each call a span of the delivery's
   *     trace and sends the {@code traceparent} header
   * @param name names the connection pool in metrics and logs
   */
  public static WebClient client(
      WebClient.Builder builder, String name, String baseUrl, int maxConnections) {
    ConnectionProvider pool =
        ConnectionProvider.builder(name)
            .maxConnections(maxConnections)
            .pendingAcquireMaxCount(-1)
            .maxIdleTime(Duration.ofSeconds(30))
            .build();
    HttpClient http =
        HttpClient.create(pool).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000).compress(true);
    return builder
        .clone()
        .baseUrl(baseUrl)
        .clientConnector(new ReactorClientHttpConnector(http))
        .build();
  }

  /** Sends the request; the future completes with any status, and fails only on I/O errors. */
  public static CompletableFuture<Response> exchange(WebClient.RequestHeadersSpec<?> request) {
    return request
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(String.class)
                    .defaultIfEmpty("")
                    .map(
                        body ->
                            new Response(
                                response.statusCode().value(),
                                response.headers().asHttpHeaders(),
                                body)))
        .toFuture();
  }

  /**
   * The {@code Retry-After} of a response, in seconds or as an HTTP date; null when absent or
   * unreadable.
   */
  public static Duration retryAfter(HttpHeaders headers, Clock clock) {
    String value = headers.getFirst(HttpHeaders.RETRY_AFTER);
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration wait = Duration.between(clock.instant(), at.toInstant());
        return wait.isNegative() ? Duration.ZERO : wait;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  /**
   * What an HTTP status means when the provider's own codes say nothing more: 408, 429 and 5xx are
   * transient, 401 and 403 are Herald's credentials (permanent, configuration), any other 4xx is a
   * rejected request.
   */
  public static SendOutcome byStatus(int status, String code, String message, Duration retryAfter) {
    if (status == 408 || status == 429 || status >= 500) {
      return new SendOutcome.Transient(code, message, retryAfter);
    }
    if (status == 401 || status == 403) {
      return new SendOutcome.Permanent(code, message, SendOutcome.Cause.CONFIGURATION);
    }
    return new SendOutcome.Permanent(code, message, SendOutcome.Cause.REJECTED);
  }
}
