package io.herald.notification.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.InboxItemsRead;
import io.herald.notification.ApiIntegrationTest;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.StreamTickets;
import io.herald.support.testing.KafkaTestClients;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.Disposable;

/**
 * The live stream beyond its events: counts as they change, stream tickets for browsers (and what
 * they must not open), a client too slow to read that is told to resume while another connection of
 * the same user keeps up, and an unreadable event that is dead-lettered without holding up the
 * events after it.
 */
class InboxStreamIT extends ApiIntegrationTest {

  @Autowired private MeterRegistry meters;

  @BeforeEach
  void ready() {
    // The live stream reads notification.inbox.v1 once the instance is ready.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get("/actuator/health/readiness", null).getStatusCode().value() == 200);
  }

  @Test
  void shouldSendTheCountsOnConnectAndAfterEachChange() {
    String item = insert("alice");
    insert("alice");
    String alice = api.token(tenant, "alice");
    List<ServerSentEvent<Map<String, Object>>> received = new CopyOnWriteArrayList<>();
    Disposable stream = TestStreams.open(port, alice, null, received);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> !TestStreams.counts(received).isEmpty());
      assertThat(TestStreams.counts(received).get(0))
          .containsEntry("unread", 2)
          .containsEntry("unseen", 2)
          .containsEntry("total", 2);

      call(HttpMethod.POST, "/api/notifications/" + item + "/read", alice);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> last(TestStreams.counts(received)).get("unread").equals(1));
      call(HttpMethod.POST, "/api/notifications/seen", alice);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> last(TestStreams.counts(received)).get("unseen").equals(0));
      call(HttpMethod.POST, "/api/notifications/" + item + "/archive", alice);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> last(TestStreams.counts(received)).get("total").equals(1));
      assertThat(last(TestStreams.counts(received)))
          .containsEntry("unread", 1)
          .containsEntry("unseen", 0);
      // Counts carry no id: the position a client resumes from stays that of its last change.
      assertThat(received)
          .filteredOn(e -> "inbox-counts".equals(e.event()))
          .allMatch(e -> e.id() == null);
    } finally {
      stream.dispose();
    }
  }

  @Test
  void shouldOpenTheCallersStreamWithATicketAndNothingElse() {
    String item = insert("alice");
    String alice = api.token(tenant, "alice");
    ResponseEntity<Map<String, Object>> issued =
        api.call(HttpMethod.POST, "/api/notifications/stream/tickets", alice, null);
    assertThat(issued.getStatusCode().value()).isEqualTo(201);
    assertThat(issued.getHeaders().getCacheControl()).isEqualTo("no-store");
    String ticket = (String) issued.getBody().get("ticket");
    String url = (String) issued.getBody().get("url");
    assertThat(url)
        .isEqualTo(
            "/api/notifications/stream?ticket="
                + URLEncoder.encode(ticket, StandardCharsets.UTF_8));
    assertThat(Instant.parse((String) issued.getBody().get("expiresAt")))
        .isBetween(Instant.now().plusSeconds(30), Instant.now().plusSeconds(61));

    List<ServerSentEvent<Map<String, Object>>> received = new CopyOnWriteArrayList<>();
    Disposable stream = TestStreams.openUrl(port, url, received);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> !TestStreams.counts(received).isEmpty());
      call(HttpMethod.POST, "/api/notifications/" + item + "/read", alice);
      await().atMost(Duration.ofSeconds(20)).until(() -> !TestStreams.changes(received).isEmpty());
      assertThat(TestStreams.changes(received).get(0).data())
          .containsEntry("itemIds", List.of(item));
    } finally {
      stream.dispose();
    }

    // A ticket is no bearer token, opens nothing but the stream, and a token is no ticket.
    assertThat(api.get("/api/notifications", ticket).getStatusCode().value()).isEqualTo(401);
    assertThat(status("/api/notifications?ticket=" + ticket)).isEqualTo(401);
    assertThat(status("/api/notifications/stream?ticket=" + alice)).isEqualTo(401);
    assertThat(status("/api/notifications/stream?ticket=not-a-ticket")).isEqualTo(401);
    // An expired ticket: issued under the same secret, a minute and a half ago.
    String expired =
        new StreamTickets(
                SECRET.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(60),
                Clock.fixed(Instant.now().minusSeconds(90), java.time.ZoneOffset.UTC))
            .issue(new HeraldPrincipal(tenant, "alice", List.of()))
            .value();
    assertThat(status("/api/notifications/stream?ticket=" + expired)).isEqualTo(401);
    assertThat(status("/api/notifications/stream")).isEqualTo(401);
  }

  @Test
  void shouldTellASlowClientToResumeWhileAnotherConnectionKeepsUp() throws Exception {
    String alice = api.token(tenant, "alice");
    List<ServerSentEvent<Map<String, Object>>> fast = new CopyOnWriteArrayList<>();
    Disposable fastStream = TestStreams.open(port, alice, null, fast);
    try (Socket slow = new Socket()) {
      // A client that stops reading: a tiny receive window, and nothing read until the end.
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", port));
      OutputStream out = slow.getOutputStream();
      out.write(
          ("GET /api/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Accept: text/event-stream\r\nAuthorization: Bearer "
                  + alice
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> !TestStreams.counts(fast).isEmpty());
      // Both streams are registered once each has sent its first counts.
      slow.setSoTimeout(10_000);
      String opening = readUntil(slow.getInputStream(), "event:inbox-counts");
      assertThat(opening).startsWith("HTTP/1.1 200");

      // Each change names 40 items (about 1.6 kB an event). Changes go out in rounds until the
      // service counts a connection that fell behind: how many it takes depends on what the
      // kernel's socket buffers hold besides the connection's queue of 1,000 events.
      List<String> items =
          java.util.stream.Stream.generate(() -> UUID.randomUUID().toString()).limit(40).toList();
      double behindBefore = behind();
      int changes = 0;
      try (KafkaProducer<String, Object> producer =
          KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
        while (behind() == behindBefore) {
          assertThat(changes)
              .as("changes sent without the slow client falling behind")
              .isLessThan(20_000);
          for (int i = 0; i < 1_000; i++) {
            changes++;
            producer.send(aliceRead(items, changes));
          }
          producer.flush();
          int sent = changes;
          await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> TestStreams.changes(fast).size() == sent);
        }
      }
      assertThat(TestStreams.changes(fast))
          .extracting(e -> Long.parseLong(e.id()))
          .isSorted()
          .doesNotHaveDuplicates()
          .hasSize(changes);

      // The slow client, reading at last: what its buffers held, then resume, then the end.
      slow.setSoTimeout(30_000);
      String stream = readUntil(slow.getInputStream(), "event:resume");
      int sent = changes;
      assertThat(stream).contains("event:resume");
      Matcher ids = Pattern.compile("(?m)^id:(\\d+)$").matcher(stream);
      long read = 0;
      long previous = 0;
      while (ids.find()) {
        long id = Long.parseLong(ids.group(1));
        assertThat(id).isGreaterThan(previous);
        previous = id;
        read++;
      }
      System.out.printf(
          "[InboxStreamIT] the slow client fell behind within %d changes and received %d%n",
          sent, read);
      assertThat(read).as("changes the slow client received").isLessThan(sent);
      assertThat(stream.indexOf("event:resume")).isGreaterThan(stream.lastIndexOf("id:"));
    } finally {
      fastStream.dispose();
    }
  }

  @Test
  void shouldDeadLetterAnUnreadableInboxEventAndStreamTheEventsAfterIt() {
    String alice = api.token(tenant, "alice");
    List<ServerSentEvent<Map<String, Object>>> received = new CopyOnWriteArrayList<>();
    Disposable stream = TestStreams.open(port, alice, null, received);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> !TestStreams.counts(received).isEmpty());
      byte[] garbage = ("not avro " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
      String item = UUID.randomUUID().toString();
      // Same key, so the same partition: the readable event waits behind the unreadable one.
      try (KafkaProducer<String, byte[]> raw =
              new KafkaProducer<>(
                  Map.<String, Object>of("bootstrap.servers", broker.getBrokersAsString()),
                  new org.apache.kafka.common.serialization.StringSerializer(),
                  new org.apache.kafka.common.serialization.ByteArraySerializer());
          KafkaProducer<String, Object> producer =
              KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
        raw.send(new ProducerRecord<>("notification.inbox.v1", "alice", garbage));
        raw.flush();
        producer.send(aliceRead(List.of(item), 1));
        producer.flush();
      }

      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  TestStreams.changes(received).stream()
                      .anyMatch(e -> List.of(item).equals(e.data().get("itemIds"))));
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          KafkaTestClients.readAll(
                                  broker.getBrokersAsString(), "notification.inbox.v1-dlt")
                              .stream()
                              .filter(r -> java.util.Arrays.equals(r.value(), garbage)))
                      .singleElement()
                      .satisfies(
                          r -> {
                            assertThat(header(r, "kafka_dlt-original-topic"))
                                .isEqualTo("notification.inbox.v1");
                            assertThat(header(r, "kafka_dlt-exception-fqcn")).isNotBlank();
                          }));
    } finally {
      stream.dispose();
    }
  }

  private static String header(
      org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record, String name) {
    org.apache.kafka.common.header.Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /**
   * Reads until {@code marker} arrives or the server closes the connection, for at most 60 s in all
   * (heartbeats would keep a read with a timeout of its own going forever).
   */
  private static String readUntil(InputStream in, String marker) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] chunk = new byte[8_192];
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (int n; (n = in.read(chunk)) >= 0; ) {
      all.write(chunk, 0, n);
      if (all.toString(StandardCharsets.UTF_8).contains(marker)) {
        break;
      }
      assertThat(System.nanoTime())
          .as("reading until " + marker + "; received " + all.size() + " bytes")
          .isLessThan(deadline);
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  /** Alice read {@code items}: change number {@code seq} of her inbox, as the topic carries it. */
  private ProducerRecord<String, Object> aliceRead(List<String> items, long seq) {
    return new ProducerRecord<>(
        "notification.inbox.v1",
        "alice",
        InboxItemsRead.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setUserId("alice")
            .setItemIds(items)
            .setSequence(seq)
            .build());
  }

  private double behind() {
    return meters.counter("herald.notification.inbox.streams.behind").count();
  }

  private int status(String pathAndQuery) {
    return org.springframework.web.reactive.function.client.WebClient.create(
            "http://127.0.0.1:" + port + pathAndQuery)
        .get()
        .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value()))
        .block(Duration.ofSeconds(10));
  }

  private void call(HttpMethod method, String path, String token) {
    ResponseEntity<Map<String, Object>> response = api.call(method, path, token, null);
    assertThat(response.getStatusCode().value()).as(path).isEqualTo(200);
  }

  private static <T> T last(List<T> list) {
    return list.get(list.size() - 1);
  }

  private String insert(String user) {
    return TestInbox.insert(tenant, user, "account", Instant.now());
  }
}
