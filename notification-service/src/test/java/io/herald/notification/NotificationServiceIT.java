package io.herald.notification;

import static io.herald.notification.TestRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationChunkRequested;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.events.v1.SubscriberUpdated;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

/**
 * notification-service against a real KRaft broker, Apicurio Registry and PostgreSQL: fan-out,
 * once-only inbox, dead-lettering and the live stream.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
      "herald.fanout.page-size=3"
    })
@EmbeddedKafka(partitions = 1)
class NotificationServiceIT {

  private static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();
  private static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> SSE =
      new ParameterizedTypeReference<>() {};

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    TestApi.register(registry, SECRET);
  }

  private static boolean subscribersRegistered;

  @LocalServerPort int port;
  @Autowired EmbeddedKafkaBroker broker;
  @Autowired KafkaTemplate<String, SpecificRecord> kafka;

  /** The demo tenants' subscribers, registered the way an identity team would: on the topic. */
  @BeforeEach
  void registerSubscribers() throws Exception {
    if (subscribersRegistered) {
      return;
    }
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      for (SubscriberUpdated s :
          List.of(
              subscriber("acme", "alice", "alice@acme.example", "admin", "editor"),
              subscriber("acme", "bob", "bob@acme.example", "editor"),
              subscriber("acme", "carol", "carol@acme.example", "viewer"),
              subscriber("globex", "dave", "dave@globex.example", "admin"))) {
        producer
            .send(
                new ProducerRecord<>(
                    "notification.subscribers.v1", s.getTenantId() + "/" + s.getUserId(), s))
            .get();
      }
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                PostgresTestDatabase.shared()
                        .count(
                            "SELECT count(*) FROM subscribers WHERE (tenant_id = 'acme' AND user_id IN"
                                + " ('alice', 'bob', 'carol')) OR (tenant_id = 'globex' AND user_id ="
                                + " 'dave')")
                    == 4);
    subscribersRegistered = true;
  }

  private static SubscriberUpdated subscriber(
      String tenant, String user, String email, String... roles) {
    return SubscriberUpdated.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setUserId(user)
        .setRoles(List.of(roles))
        .setEmail(email)
        .build();
  }

  @Test
  void shouldStoreInboxItemsAndFanOutEmailToEveryRecipientOfUsersAndRoles() {
    // bob is named; alice holds the admin role; carol has neither.
    NotificationRequested request =
        request("acme", List.of("bob"), List.of("admin"), List.of(Channel.IN_APP, Channel.EMAIL));

    kafka.send("notification.requests.v1", request.getRequestId(), request);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(inboxOwners(request.getRequestId()))
                    .containsExactlyInAnyOrder("acme/bob", "acme/alice"));
    List<EmailDeliveryRequested> emails =
        recordsOf(
            "notification.email.v1",
            EmailDeliveryRequested.class,
            e -> e.getNotificationId().equals(request.getRequestId()),
            2);
    assertThat(emails)
        .extracting(EmailDeliveryRequested::getTo)
        .containsExactlyInAnyOrder("bob@acme.example", "alice@acme.example");
    assertThat(emails).allSatisfy(e -> assertThat(e.getSubject()).isEqualTo("Welcome"));
  }

  @Test
  void shouldShowOneInboxItemAndOneLiveEventWhenRequestIsSubmittedTwice() {
    NotificationRequested request =
        request("acme", List.of("carol"), List.of(), List.of(Channel.IN_APP, Channel.EMAIL));

    kafka.send("notification.requests.v1", request.getRequestId(), request);
    kafka.send("notification.requests.v1", request.getRequestId(), request);
    NotificationRequested marker =
        request("acme", List.of("carol"), List.of(), List.of(Channel.IN_APP));
    kafka.send("notification.requests.v1", marker.getRequestId(), marker);

    // The marker is processed after both copies (one partition), so both copies were seen.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !committed(InboxItemCreated.class, e -> isFor(e, marker)).isEmpty());
    assertThat(inboxOwners(request.getRequestId())).containsExactly("acme/carol");
    assertThat(committed(InboxItemCreated.class, e -> isFor(e, request))).hasSize(1);
    // A copy submitted again carries the same delivery id, which the e-mail worker's ledger drops.
    assertThat(
            committed(
                EmailDeliveryRequested.class,
                e -> e.getNotificationId().equals(request.getRequestId())))
        .isNotEmpty()
        .extracting(EmailDeliveryRequested::getDeliveryId)
        .containsOnly(
            committed(
                    EmailDeliveryRequested.class,
                    e -> e.getNotificationId().equals(request.getRequestId()))
                .get(0)
                .getDeliveryId());
  }

  @Test
  void shouldSplitLargeAudienceIntoChunksAndReachEveryMemberOnceOnEveryChannel() {
    String tenant = "chunky-" + UUID.randomUUID();
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      members.add(String.format("u%02d", i));
    }
    PostgresTestDatabase.shared()
        .execute(
            "INSERT INTO subscribers (tenant_id, user_id, email, roles) SELECT '"
                + tenant
                + "', u, u || '@chunky.example', '{member}' FROM unnest(ARRAY['"
                + String.join("','", members)
                + "']) AS u",
            "INSERT INTO push_contacts (tenant_id, user_id, platform, token) VALUES ('"
                + tenant
                + "', 'u01', 'FCM', 'fcm-a'), ('"
                + tenant
                + "', 'u01', 'FCM', 'fcm-b'), ('"
                + tenant
                + "', 'u02', 'FCM', 'fcm-c')");
    // u03 is named and holds the role; zed is named but not registered (in-app only).
    NotificationRequested request =
        request(
            tenant,
            List.of("u03", "zed"),
            List.of("member"),
            List.of(Channel.IN_APP, Channel.EMAIL, Channel.PUSH));

    kafka.send("notification.requests.v1", request.getRequestId(), request);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                committed(InboxItemCreated.class, e -> isFor(e, request)).size() == 11
                    && committed(
                                EmailDeliveryRequested.class,
                                e -> e.getNotificationId().equals(request.getRequestId()))
                            .size()
                        == 10
                    && committed(
                                PushDeliveryRequested.class,
                                e -> e.getNotificationId().equals(request.getRequestId()))
                            .size()
                        == 3);
    List<String> everyone = new ArrayList<>(members);
    everyone.add("zed");
    assertThat(inboxOwners(request.getRequestId()))
        .containsExactlyInAnyOrderElementsOf(everyone.stream().map(u -> tenant + "/" + u).toList());
    // Page size 3 in this test: 11 recipients make 4 chunks.
    assertThat(
            committed(
                NotificationChunkRequested.class,
                c -> c.getRequestId().equals(request.getRequestId())))
        .extracting(NotificationChunkRequested::getChunk)
        .containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(
            committed(
                EmailDeliveryRequested.class,
                e -> e.getNotificationId().equals(request.getRequestId())))
        .extracting(EmailDeliveryRequested::getTo)
        .containsExactlyInAnyOrderElementsOf(
            members.stream().map(u -> u + "@chunky.example").toList());
    assertThat(
            committed(
                PushDeliveryRequested.class,
                e -> e.getNotificationId().equals(request.getRequestId())))
        .extracting(PushDeliveryRequested::getDeviceToken)
        .containsExactlyInAnyOrder("fcm-a", "fcm-b", "fcm-c");
    assertThat(
            PostgresTestDatabase.shared()
                .count(
                    "SELECT count(*) FROM delivery_activity WHERE tenant_id = '"
                        + tenant
                        + "' AND status = 'SKIPPED' AND reason = 'no-contact'"))
        .as("zed has no e-mail and no device; 8 members have no device")
        .isEqualTo(10);
  }

  @Test
  void shouldDeadLetterMalformedRecordWithReasonAndKeepProcessing() {
    String key = "poison-" + UUID.randomUUID();
    try (KafkaProducer<String, byte[]> raw =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", broker.getBrokersAsString()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      raw.send(
          new ProducerRecord<>(
              "notification.requests.v1", key, "not avro at all".getBytes(StandardCharsets.UTF_8)));
      raw.flush();
    }
    NotificationRequested good =
        request("acme", List.of("bob"), List.of(), List.of(Channel.IN_APP));
    kafka.send("notification.requests.v1", good.getRequestId(), good);

    await().atMost(Duration.ofSeconds(30)).until(() -> !inboxOwners(good.getRequestId()).isEmpty());
    ConsumerRecord<String, byte[]> dead =
        rawRecords("notification.requests.v1-dlt").stream()
            .filter(r -> key.equals(r.key()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("poison record not dead-lettered"));
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not avro at all");
    assertThat(header(dead, "kafka_dlt-exception-fqcn"))
        .isEqualTo("org.springframework.kafka.support.serializer.DeserializationException");
    assertThat(header(dead, "kafka_dlt-exception-message")).isNotBlank();
    assertThat(header(dead, "kafka_dlt-original-topic")).isEqualTo("notification.requests.v1");
  }

  @Test
  void shouldDeadLetterRequestWithoutContentAtOnce() {
    NotificationRequested empty =
        NotificationRequested.newBuilder(
                request("acme", List.of("bob"), List.of(), List.of(Channel.IN_APP)))
            .setTitle(null)
            .build();

    kafka.send("notification.requests.v1", empty.getRequestId(), empty);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        rawRecords("notification.requests.v1-dlt").stream()
                            .filter(r -> empty.getRequestId().equals(r.key()))
                            .map(r -> header(r, "kafka_dlt-exception-message")))
                    .singleElement()
                    .asString()
                    .contains("has neither a template nor a title and body"));
  }

  @Test
  void shouldStreamNewItemToItsRecipientOnlyAndListItForHimOnly() {
    List<ServerSentEvent<Map<String, Object>>> bob = new CopyOnWriteArrayList<>();
    List<ServerSentEvent<Map<String, Object>>> carol = new CopyOnWriteArrayList<>();
    List<ServerSentEvent<Map<String, Object>>> otherTenantBob = new CopyOnWriteArrayList<>();
    List<Disposable> streams =
        List.of(
            stream(token("acme", "bob"), bob),
            stream(token("acme", "carol"), carol),
            stream(token("globex", "bob"), otherTenantBob));
    try {
      // Each stream is registered once it has sent its first counts.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  java.util.stream.Stream.of(bob, carol, otherTenantBob)
                      .allMatch(s -> s.stream().anyMatch(e -> "inbox-counts".equals(e.event()))));
      NotificationRequested request =
          request("acme", List.of("bob"), List.of(), List.of(Channel.IN_APP));

      kafka.send("notification.requests.v1", request.getRequestId(), request);

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> bob.stream().anyMatch(e -> "inbox-item".equals(e.event())));
      ServerSentEvent<Map<String, Object>> item =
          bob.stream().filter(e -> "inbox-item".equals(e.event())).findFirst().orElseThrow();
      assertThat(item.data())
          .containsEntry("notificationId", request.getRequestId())
          .containsEntry("title", "Welcome");
      assertThat(carol).noneMatch(e -> "inbox-item".equals(e.event()));
      assertThat(otherTenantBob).noneMatch(e -> "inbox-item".equals(e.event()));

      assertThat(list(token("acme", "bob"))).contains(request.getRequestId());
      assertThat(list(token("globex", "bob"))).doesNotContain(request.getRequestId());
    } finally {
      streams.forEach(Disposable::dispose);
    }
  }

  @Test
  void shouldContinueTheRequestsTraceOnEveryRecordItCauses() {
    NotificationRequested request =
        request("acme", List.of("bob"), List.of(), List.of(Channel.IN_APP, Channel.EMAIL));
    String traceId = UUID.randomUUID().toString().replace("-", "");
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      ProducerRecord<String, Object> record =
          new ProducerRecord<>("notification.requests.v1", request.getRequestId(), request);
      record
          .headers()
          .add(
              "traceparent",
              ("00-" + traceId + "-00f067aa0ba902b7-01").getBytes(StandardCharsets.UTF_8));
      producer.send(record);
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        rawRecords("notification.email.v1").stream()
                            .map(r -> header(r, "traceparent"))
                            .filter(t -> t != null && t.contains(traceId)))
                    .as("e-mail delivery continues the request's trace")
                    .isNotEmpty());
    assertThat(
            rawRecords("notification.inbox.v1").stream()
                .map(r -> header(r, "traceparent"))
                .filter(t -> t != null && t.contains(traceId)))
        .as("inbox event continues the request's trace")
        .isNotEmpty();
  }

  private Disposable stream(String token, List<ServerSentEvent<Map<String, Object>>> sink) {
    return WebClient.create("http://127.0.0.1:" + port)
        .get()
        .uri("/api/notifications/stream")
        .header("Authorization", "Bearer " + token)
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve()
        .bodyToFlux(SSE)
        .subscribe(sink::add);
  }

  private String list(String token) {
    return WebClient.create("http://127.0.0.1:" + port)
        .get()
        .uri("/api/notifications")
        .header("Authorization", "Bearer " + token)
        .retrieve()
        .bodyToMono(String.class)
        .block(Duration.ofSeconds(10));
  }

  private static List<String> inboxOwners(String notificationId) {
    return PostgresTestDatabase.shared()
        .column(
            "SELECT tenant_id || '/' || user_id FROM inbox_items WHERE notification_id = '"
                + notificationId
                + "'");
  }

  private <T> List<T> committed(Class<T> type, Predicate<T> filter) {
    String topic =
        type == InboxItemCreated.class
            ? "notification.inbox.v1"
            : type == EmailDeliveryRequested.class
                ? "notification.email.v1"
                : type == PushDeliveryRequested.class
                    ? "notification.push.v1"
                    : "notification.fanout-chunks.v1";
    return KafkaTestClients.readAllValues(broker.getBrokersAsString(), topic, type, filter);
  }

  private static boolean isFor(InboxItemCreated event, NotificationRequested request) {
    return event.getNotificationId().equals(request.getRequestId());
  }

  private <T> List<T> recordsOf(String topic, Class<T> type, Predicate<T> filter, int atLeast) {
    try (KafkaConsumer<String, Object> consumer =
        KafkaTestClients.avroConsumer(broker.getBrokersAsString(), topic)) {
      return KafkaTestClients.awaitValues(consumer, type, filter, atLeast);
    }
  }

  private List<ConsumerRecord<String, byte[]>> rawRecords(String topic) {
    return KafkaTestClients.readAll(broker.getBrokersAsString(), topic);
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static String token(String tenant, String user) {
    return TestTokens.issue(SECRET, tenant, user);
  }

  @Test
  void shouldConsumeExactlyTheTopicsTheCatalogNamesForIt(
      @Autowired org.springframework.kafka.config.KafkaListenerEndpointRegistry listeners) {
    assertThat(io.herald.support.testing.ListenerTopics.of(listeners))
        .isEqualTo(
            io.herald.events.catalog.TopicCatalog.consumedBy(
                io.herald.events.catalog.TopicCatalog.NOTIFICATION));
  }

  @Test
  void shouldHandleExactlyTheOperationsTheOpenApiDocumentGivesIt(
      @Autowired
          @org.springframework.beans.factory.annotation.Qualifier("requestMappingHandlerMapping")
          org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping
              mapping) {
    assertThat(
            io.herald.support.testing.OpenApiDrift.differences(
                mapping,
                "notification-service",
                io.herald.support.testing.OpenApiDrift.heraldHandlers()))
        .isEmpty();
  }
}
