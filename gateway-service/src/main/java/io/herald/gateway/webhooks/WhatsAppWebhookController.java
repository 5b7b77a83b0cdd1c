package io.herald.gateway.webhooks;

import io.herald.events.catalog.TopicCatalog;
import io.herald.gateway.GatewayProperties;
import io.herald.gateway.commands.CommandPublisher;
import io.herald.gateway.errors.BrokerUnavailableException;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WhatsApp Cloud API webhook ({@code /webhooks/whatsapp}, no bearer token: Meta signs its calls
 * instead).
 *
 * <ul>
 *   <li>{@code GET}: Meta's verification request; answers {@code hub.challenge} when {@code
 *       hub.verify_token} matches.
 *   <li>{@code POST}: status callbacks, accepted only with a valid {@code X-Hub-Signature-256};
 *       their statuses are published on {@code notification.delivery-status.v1} before the 200, so
 *       Meta retries a callback Herald could not publish.
 * </ul>
 */
@RestController
class WhatsAppWebhookController {

  static final String PATH = "/webhooks/whatsapp";
  private static final Logger log = LoggerFactory.getLogger(WhatsAppWebhookController.class);

  private final WhatsAppWebhookProperties properties;
  private final KafkaTemplate<String, SpecificRecord> kafka;
  private final GatewayProperties gateway;
  private final JsonMapper json;
  private final MeterRegistry meters;
  private final WhatsAppStatuses statuses = new WhatsAppStatuses(Clock.systemUTC());

  WhatsAppWebhookController(
      WhatsAppWebhookProperties properties,
      KafkaTemplate<String, SpecificRecord> kafka,
      GatewayProperties gateway,
      JsonMapper json,
      MeterRegistry meters) {
    this.properties = properties;
    this.kafka = kafka;
    this.gateway = gateway;
    this.json = json;
    this.meters = meters;
  }

  @GetMapping(path = PATH)
  ResponseEntity<?> verify(
      @RequestParam(name = "hub.mode", required = false) String mode,
      @RequestParam(name = "hub.verify_token", required = false) String token,
      @RequestParam(name = "hub.challenge", required = false) String challenge) {
    String expected = properties.verifyToken();
    boolean matches =
        expected != null
            && !expected.isBlank()
            && token != null
            && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    if (!"subscribe".equals(mode) || !matches || challenge == null) {
      return problem(
          HttpStatus.FORBIDDEN,
          "webhook-verification-failed",
          "hub.mode must be subscribe and hub.verify_token must match the configured token.");
    }
    return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(challenge);
  }

  @PostMapping(path = PATH)
  Mono<ResponseEntity<?>> callback(
      @RequestHeader(name = WebhookSignature.HEADER, required = false) String signature,
      @RequestBody(required = false) byte[] body) {
    byte[] raw = body == null ? new byte[0] : body;
    if (!WebhookSignature.verify(raw, signature, properties.appSecret())) {
      meters
          .counter("herald.webhook.callbacks", "provider", "whatsapp", "outcome", "refused")
          .increment();
      return Mono.just(
          problem(
              HttpStatus.UNAUTHORIZED,
              "webhook-signature-invalid",
              "X-Hub-Signature-256 is missing or is not the HMAC-SHA256 of the body with the app"
                  + " secret."));
    }
    JsonNode callback;
    try {
      callback = json.readTree(raw);
    } catch (JacksonException e) {
      return Mono.just(
          problem(HttpStatus.BAD_REQUEST, "malformed-request", "The callback is not JSON."));
    }
    List<WhatsAppStatuses.Status> found = statuses.read(callback);
    List<SpecificRecordBase> events = found.stream().flatMap(s -> s.event().stream()).toList();
    for (WhatsAppStatuses.Status s : found) {
      meters
          .counter(
              "herald.webhook.statuses",
              "provider",
              "whatsapp",
              "status",
              s.status(),
              "outcome",
              s.note())
          .increment();
    }
    meters
        .counter("herald.webhook.callbacks", "provider", "whatsapp", "outcome", "accepted")
        .increment();
    return Mono.deferContextual(
            context ->
                Mono.fromFuture(
                    () -> {
                      try (var scope = CommandPublisher.SNAPSHOTS.setThreadLocalsFrom(context)) {
                        return publish(events);
                      }
                    }))
        .subscribeOn(Schedulers.boundedElastic())
        .timeout(gateway.publishTimeout())
        // Meta retries a callback that is not answered 200; the events carry their own ids.
        .onErrorMap(BrokerUnavailableException::unconfirmed)
        .thenReturn(ResponseEntity.ok().build());
  }

  private CompletableFuture<Void> publish(List<SpecificRecordBase> events) {
    CompletableFuture<?>[] sends =
        events.stream()
            .map(
                e ->
                    kafka.send(
                        TopicCatalog.NOTIFICATION_DELIVERY_STATUS.name(),
                        String.valueOf(e.get("notificationId")),
                        e))
            .toArray(CompletableFuture[]::new);
    if (events.size() > 0) {
      log.debug("Publishing {} WhatsApp statuses", events.size());
    }
    return CompletableFuture.allOf(sends);
  }

  private static ResponseEntity<ProblemDetail> problem(
      HttpStatus status, String kind, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(URI.create(io.herald.support.web.Problems.type(kind)));
    problem.setInstance(URI.create(PATH));
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }
}
