package io.herald.notification;

import io.herald.events.v1.EmailDeliveryRequested;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationRequested;
import io.herald.support.testing.KafkaTestClients;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * notification-service on a real KRaft broker, Apicurio Registry and PostgreSQL, driven through its
 * HTTP API and topics. The integration tests that extend it share one running service; each test
 * works in a tenant of its own, so they never see each other's data.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}")
@EmbeddedKafka(partitions = 1)
@org.springframework.context.annotation.Import(TestClock.class)
public abstract class ApiIntegrationTest {

  protected static final String SECRET = UUID.randomUUID() + "-" + UUID.randomUUID();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    TestApi.register(registry, SECRET);
  }

  @LocalServerPort protected int port;

  /** The service's clock: the system's unless a test sets it (and resets it after). */
  @Autowired protected MutableClock clock;

  @Autowired protected EmbeddedKafkaBroker broker;

  /** The tenant of this test alone. */
  protected final String tenant = "t-" + UUID.randomUUID();

  protected TestApi api;

  @BeforeEach
  void client() {
    api = new TestApi(port, SECRET);
  }

  /**
   * Registers a subscriber of this test's tenant through the API (as the tenant's admin) and waits
   * until it is stored; {@code profile} is the JSON body, e.g. {@code {"email": "ana@x.example"}}.
   */
  protected void subscriber(String user, String profile) {
    api.call(
        org.springframework.http.HttpMethod.PUT,
        "/api/subscribers/" + user,
        api.token(tenant, "root", "admin"),
        profile);
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(
            () ->
                !io.herald.support.testing.PostgresTestDatabase.shared()
                    .column(
                        "SELECT user_id FROM subscribers WHERE tenant_id = '"
                            + tenant
                            + "' AND user_id = '"
                            + user
                            + "'")
                    .isEmpty());
  }

  /** Produces the requests onto {@code notification.requests.v1}, each acknowledged. */
  protected void send(NotificationRequested... requests) throws Exception {
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      for (NotificationRequested r : requests) {
        producer.send(new ProducerRecord<>("notification.requests.v1", r.getRequestId(), r)).get();
      }
    }
  }

  /** Produces one record onto {@code topic}, acknowledged. */
  protected void produce(String topic, String key, Object value) throws Exception {
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  /** The stored inbox items of the request, over all its recipients. */
  protected long inboxRows(NotificationRequested request) {
    return io.herald.support.testing.PostgresTestDatabase.shared()
        .count(
            "SELECT count(*) FROM inbox_items WHERE tenant_id = '"
                + tenant
                + "' AND notification_id = '"
                + request.getRequestId()
                + "'");
  }

  /** The committed e-mail deliveries of the request. */
  protected List<EmailDeliveryRequested> emails(NotificationRequested request) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "notification.email.v1",
        EmailDeliveryRequested.class,
        e -> e.getNotificationId().equals(request.getRequestId()));
  }

  /** The committed {@code InboxItemCreated} of the request. */
  protected List<InboxItemCreated> inboxEvents(NotificationRequested request) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "notification.inbox.v1",
        InboxItemCreated.class,
        e -> e.getNotificationId().equals(request.getRequestId()));
  }
}
