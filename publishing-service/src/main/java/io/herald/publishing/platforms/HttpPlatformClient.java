package io.herald.publishing.platforms;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the platform clients share: one WebClient per platform, a timeout per call, and the same
 * reading of what went wrong on the way (a timeout or a dropped connection may have posted; a
 * refused connection cannot have).
 */
abstract class HttpPlatformClient implements PlatformClient {

  /** Pages of an account's posts read when looking for an earlier attempt's post. */
  static final int LOOKUP_PAGES = 5;

  private static final Pattern LINK = Pattern.compile("https?://\\S+");
  private static final Pattern SPACE = Pattern.compile("\\s+");

  final WebClient client;
  final JsonMapper json;
  final Clock clock;
  final Duration timeout;

  HttpPlatformClient(WebClient client, JsonMapper json, Clock clock, Duration timeout) {
    this.client = client;
    this.json = json;
    this.clock = clock;
    this.timeout = timeout;
  }

  /** An answer read whole: status, body and the headers a client needs. */
  record Answer(int status, String body, ClientResponse.Headers headers) {}

  /** Reads the whole answer, within the timeout. */
  Mono<Answer> read(WebClient.RequestHeadersSpec<?> request) {
    return request
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(String.class)
                    .defaultIfEmpty("")
                    .map(b -> new Answer(response.statusCode().value(), b, response.headers())))
        .timeout(timeout);
  }

  /** A call that got no answer: timed out, refused, or cut off. */
  static PublishOutcome noAnswer(Throwable e) {
    String code =
        e instanceof TimeoutException
            ? PublishOutcome.Transient.TIMEOUT
            : connectFailure(e) ? "UNREACHABLE" : PublishOutcome.Transient.CONNECTION_LOST;
    return new PublishOutcome.Transient(code, String.valueOf(e.getMessage()), null, 0);
  }

  /** The account's posts could not be read; the job tries again rather than post on a guess. */
  static PublishOutcome lookupFailed(String why, Duration retryAfter, int status) {
    return new PublishOutcome.Transient(
        "LOOKUP_FAILED",
        "could not read the account's posts to check for an earlier attempt's: " + why,
        retryAfter,
        status);
  }

  /** Whether the request never left: the platform cannot have seen it. */
  private static boolean connectFailure(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof ConnectException || c instanceof UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  /** Text compared without links (platforms shorten or strip them) and runs of white space. */
  static String comparable(String text) {
    String unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    return SPACE.matcher(LINK.matcher(unescaped).replaceAll(" ")).replaceAll(" ").trim();
  }

  JsonNode parse(String body) {
    try {
      return body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (RuntimeException e) {
      return json.createObjectNode();
    }
  }

  static String abbreviate(String body) {
    return body.length() > 300 ? body.substring(0, 300) + "…" : body;
  }
}
