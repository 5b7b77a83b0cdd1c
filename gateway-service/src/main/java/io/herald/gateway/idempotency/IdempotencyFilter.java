package io.herald.gateway.idempotency;

import io.herald.gateway.commands.IdempotencyKeys;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code Idempotency-Key} guarantee of every command ({@code POST}, {@code PUT}, {@code PATCH}
 * and {@code DELETE} under {@code /api/}), for each tenant and user:
 *
 * <ul>
 *   <li>the first request with a key runs, and its answer is stored for the retention period;
 *   <li>the same key with the same request (method, path, query and body, byte for byte) answers
 *       the stored status and body again, with {@code Idempotent-Replayed: true}, and runs nothing;
 *   <li>the same key with another request answers 422 {@code idempotency-key-reused};
 *   <li>the same key while its first request is still running answers 409 {@code
 *       idempotency-key-in-use} with {@code Retry-After}.
 * </ul>
 *
 * <p>Only final answers are stored: 2xx, and 400, 413, 415 and 422 (the request itself is at
 * fault). Any other answer (401, 403, 404, 409, 429, 5xx) gives the key up, so a retry runs the
 * command anew; commands derive their ids from the key, so that retry cannot act twice.
 */
public class IdempotencyFilter implements WebFilter {

  /** Set on an answer replayed from the store. */
  public static final String REPLAYED_HEADER = "Idempotent-Replayed";

  private static final Logger log = LoggerFactory.getLogger(IdempotencyFilter.class);
  private static final Set<HttpMethod> COMMANDS =
      Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
  private static final Set<Integer> FINAL_CLIENT_ERRORS = Set.of(400, 413, 415, 422);
  private static final int CLAIM_ATTEMPTS = 3;

  private final IdempotencyStore store;
  private final IdempotencyProperties properties;
  private final Counter first;
  private final Counter replayed;
  private final Counter reused;
  private final Counter inUse;

  IdempotencyFilter(
      IdempotencyStore store, IdempotencyProperties properties, MeterRegistry meters) {
    this.store = store;
    this.properties = properties;
    this.first = outcome(meters, "first");
    this.replayed = outcome(meters, "replayed");
    this.reused = outcome(meters, "reused");
    this.inUse = outcome(meters, "in-use");
  }

  private static Counter outcome(MeterRegistry meters, String outcome) {
    return Counter.builder("herald.gateway.idempotency.requests")
        .description("Commands with an Idempotency-Key, by what the key did")
        .tag("outcome", outcome)
        .register(meters);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    String key = request.getHeaders().getFirst(IdempotencyKeys.HEADER);
    HeraldPrincipal caller = exchange.getAttribute(HeraldPrincipal.ATTRIBUTE);
    if (key == null
        || caller == null
        || !COMMANDS.contains(request.getMethod())
        || !request.getPath().pathWithinApplication().value().startsWith("/api/")) {
      return chain.filter(exchange);
    }
    if (!IdempotencyKeys.isValid(key)) {
      return problem(
          exchange,
          HttpStatus.BAD_REQUEST,
          "invalid-idempotency-key",
          "Idempotency-Key must be 1-255 printable ASCII characters without spaces");
    }
    IdempotencyScope scope = new IdempotencyScope(caller.tenantId(), caller.userId(), key);
    return DataBufferUtils.join(request.getBody(), properties.maxBodySize())
        .map(IdempotencyFilter::drain)
        .defaultIfEmpty(new byte[0])
        .onErrorMap(DataBufferLimitException.class, TooLarge::new)
        .flatMap(body -> handle(exchange, chain, scope, body))
        .onErrorResume(
            TooLarge.class,
            e ->
                problem(
                    exchange,
                    HttpStatus.PAYLOAD_TOO_LARGE,
                    "request-too-large",
                    "The body is larger than " + properties.maxBodySize() + " bytes."));
  }

  private Mono<Void> handle(
      ServerWebExchange exchange, WebFilterChain chain, IdempotencyScope scope, byte[] body) {
    byte[] fingerprint = fingerprint(exchange.getRequest(), body);
    UUID claim = UUID.randomUUID();
    return claim(scope, fingerprint, claim, CLAIM_ATTEMPTS)
        .flatMap(
            record -> {
              if (record == CLAIMED) {
                first.increment();
                return proceed(exchange, chain, scope, claim, body);
              }
              if (!MessageDigest.isEqual(record.fingerprint(), fingerprint)) {
                reused.increment();
                return problem(
                    exchange,
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    "idempotency-key-reused",
                    "This Idempotency-Key was already used for a different request (another"
                        + " method, path or body); use a new key for a new request.");
              }
              if (record.response() == null) {
                inUse.increment();
                exchange
                    .getResponse()
                    .getHeaders()
                    .set(HttpHeaders.RETRY_AFTER, Long.toString(record.retryAfterSeconds()));
                return problem(
                    exchange,
                    HttpStatus.CONFLICT,
                    "idempotency-key-in-use",
                    "The first request with this Idempotency-Key is still being processed;"
                        + " retry after it answered.");
              }
              replayed.increment();
              return replay(exchange.getResponse(), record.response());
            });
  }

  private static final IdempotencyRecord CLAIMED = new IdempotencyRecord(null, null, 0);

  /** {@link #CLAIMED}, or the record that holds the key. */
  private Mono<IdempotencyRecord> claim(
      IdempotencyScope scope, byte[] fingerprint, UUID claim, int attempts) {
    return store
        .claim(scope, fingerprint, claim)
        .map(taken -> CLAIMED)
        .switchIfEmpty(
            Mono.defer(
                () ->
                    store
                        .find(scope)
                        .switchIfEmpty(
                            Mono.defer(
                                () ->
                                    attempts > 1
                                        // released or expired in between: try again
                                        ? claim(scope, fingerprint, claim, attempts - 1)
                                        : Mono.just(
                                            new IdempotencyRecord(fingerprint, null, 1))))));
  }

  private Mono<Void> proceed(
      ServerWebExchange exchange,
      WebFilterChain chain,
      IdempotencyScope scope,
      UUID claim,
      byte[] body) {
    ServerHttpRequest request =
        new ServerHttpRequestDecorator(exchange.getRequest()) {
          @Override
          public Flux<DataBuffer> getBody() {
            return Flux.defer(
                () -> Flux.just(exchange.getResponse().bufferFactory().wrap(body.clone())));
          }
        };
    RecordingResponse response = new RecordingResponse(exchange.getResponse(), scope, claim);
    return chain
        .filter(exchange.mutate().request(request).response(response).build())
        .then(Mono.defer(response::releaseIfUnanswered))
        .onErrorResume(e -> response.releaseIfUnanswered().then(Mono.error(e)))
        .doOnCancel(() -> response.releaseIfUnanswered().subscribe());
  }

  private static Mono<Void> replay(ServerHttpResponse response, StoredResponse stored) {
    response.setStatusCode(HttpStatusCode.valueOf(stored.status()));
    HttpHeaders headers = response.getHeaders();
    headers.set(REPLAYED_HEADER, "true");
    if (stored.contentType() != null) {
      headers.setContentType(MediaType.parseMediaType(stored.contentType()));
    }
    if (stored.location() != null) {
      headers.set(HttpHeaders.LOCATION, stored.location());
    }
    if (stored.body().length == 0) {
      return response.setComplete();
    }
    return response.writeWith(Mono.just(response.bufferFactory().wrap(stored.body())));
  }

  private static Mono<Void> problem(
      ServerWebExchange exchange, HttpStatus status, String kind, String detail) {
    ProblemDetail problem =
        Problems.of(status, kind, detail, exchange.getRequest().getPath().value());
    return Problems.write(exchange.getResponse(), problem);
  }

  static byte[] fingerprint(ServerHttpRequest request, byte[] body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(request.getMethod().name().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      sha.update(request.getPath().value().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      String query = request.getURI().getRawQuery();
      sha.update((query == null ? "" : query).getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      return sha.digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  private static byte[] drain(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return bytes;
    } finally {
      DataBufferUtils.release(buffer);
    }
  }

  /** A body over {@link IdempotencyProperties#maxBodySize()}. */
  private static final class TooLarge extends RuntimeException {
    TooLarge(Throwable cause) {
      super(cause);
    }
  }

  /**
   * Stores the command's answer under its key before the client sees it, so a retry that arrives
   * right after the answer replays it instead of finding the key in use.
   */
  private final class RecordingResponse extends ServerHttpResponseDecorator {

    private final IdempotencyScope scope;
    private final UUID claim;
    private final AtomicBoolean settled = new AtomicBoolean();

    RecordingResponse(ServerHttpResponse delegate, IdempotencyScope scope, UUID claim) {
      super(delegate);
      this.scope = scope;
      this.claim = claim;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
      return DataBufferUtils.join(Flux.from(body))
          .map(IdempotencyFilter::drain)
          .defaultIfEmpty(new byte[0])
          .flatMap(
              bytes ->
                  settle(bytes)
                      .then(
                          Mono.defer(
                              () ->
                                  getDelegate()
                                      .writeWith(Mono.just(bufferFactory().wrap(bytes))))));
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
      // A command's answer (also one routed to its service) is small: stored whole, then sent.
      return writeWith(Flux.from(body).concatMap(Flux::from));
    }

    @Override
    public Mono<Void> setComplete() {
      return settle(new byte[0]).then(Mono.defer(getDelegate()::setComplete));
    }

    private Mono<Void> settle(byte[] body) {
      if (!settled.compareAndSet(false, true)) {
        return Mono.empty();
      }
      HttpStatusCode code = getStatusCode();
      int status = code == null ? 200 : code.value();
      Mono<Void> outcome;
      if (code == null || code.is2xxSuccessful() || FINAL_CLIENT_ERRORS.contains(status)) {
        MediaType contentType = getHeaders().getContentType();
        outcome =
            store.complete(
                scope,
                claim,
                new StoredResponse(
                    status,
                    body.length == 0 || contentType == null ? null : contentType.toString(),
                    getHeaders().getFirst(HttpHeaders.LOCATION),
                    body));
      } else {
        outcome = store.release(scope, claim);
      }
      return outcome.onErrorResume(
          e -> {
            // The answer still goes out; the key stays claimed until its lease ends.
            log.warn("Idempotency record of a {} answer not saved: {}", status, e.toString());
            return Mono.empty();
          });
    }

    Mono<Void> releaseIfUnanswered() {
      if (!settled.compareAndSet(false, true)) {
        return Mono.empty();
      }
      return store
          .release(scope, claim)
          .onErrorResume(
              e -> {
                log.warn("Idempotency key not released: {}", e.toString());
                return Mono.empty();
              });
    }
  }
}
