package io.herald.notification.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestApi;
import io.herald.notification.TestRequests;
import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.FreePorts;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.Disposable;

/**
 * Two notification-service instances on one broker and database, as behind a load balancer without
 * sticky sessions: a client connected to either receives what the other materialized and the marks
 * made through the other, and a ticket issued by one opens a stream on the other.
 */
class InboxInstancesIT extends ApiIntegrationTest {

  private Process other;

  @AfterEach
  void stop() throws InterruptedException {
    if (other != null) {
      other.destroyForcibly().waitFor();
    }
  }

  @Test
  void shouldStreamToEveryInstanceWhatAnyInstanceMaterializedOrChanged() throws Exception {
    int otherPort = startOther();
    TestApi b = new TestApi(otherPort, SECRET);
    subscriber("alice", "{\"email\":\"alice@x.example\"}");
    String alice = api.token(tenant, "alice");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get("/actuator/health/readiness", null).getStatusCode().value() == 200);

    List<ServerSentEvent<Map<String, Object>>> onA = new CopyOnWriteArrayList<>();
    List<ServerSentEvent<Map<String, Object>>> onB = new CopyOnWriteArrayList<>();
    ResponseEntity<Map<String, Object>> ticket =
        api.call(HttpMethod.POST, "/api/notifications/stream/tickets", alice, null);
    List<Disposable> streams =
        List.of(
            TestStreams.open(port, alice, null, onA),
            // A ticket from instance A opens the stream on instance B.
            TestStreams.openUrl(otherPort, (String) ticket.getBody().get("url"), onB));
    try {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> !TestStreams.counts(onA).isEmpty() && !TestStreams.counts(onB).isEmpty());

      // Whichever instance's fan-out stores it, both streams carry the item, with one id.
      send(TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> TestStreams.changes(onA).size() == 1 && TestStreams.changes(onB).size() == 1);
      ServerSentEvent<Map<String, Object>> itemOnA = TestStreams.changes(onA).get(0);
      ServerSentEvent<Map<String, Object>> itemOnB = TestStreams.changes(onB).get(0);
      assertThat(itemOnA.event()).isEqualTo("inbox-item");
      assertThat(itemOnB.id()).isEqualTo(itemOnA.id());
      assertThat(itemOnB.data().get("id")).isEqualTo(itemOnA.data().get("id"));
      String item = (String) itemOnA.data().get("id");

      // A mark made on B reaches the stream on A, and one made on A the stream on B.
      assertThat(
              b.call(HttpMethod.POST, "/api/notifications/" + item + "/read", alice, null)
                  .getStatusCode()
                  .value())
          .isEqualTo(200);
      assertThat(
              api.call(HttpMethod.POST, "/api/notifications/" + item + "/archive", alice, null)
                  .getStatusCode()
                  .value())
          .isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> TestStreams.changes(onA).size() == 3 && TestStreams.changes(onB).size() == 3);
      for (List<ServerSentEvent<Map<String, Object>>> received : List.of(onA, onB)) {
        assertThat(TestStreams.changes(received))
            .extracting(ServerSentEvent::event)
            .containsExactly("inbox-item", "inbox-read", "inbox-archived");
        assertThat(TestStreams.changes(received))
            .extracting(e -> Long.parseLong(e.id()))
            .isSorted()
            .doesNotHaveDuplicates();
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  TestStreams.counts(onB)
                      .get(TestStreams.counts(onB).size() - 1)
                      .get("total")
                      .equals(0));
    } finally {
      streams.forEach(Disposable::dispose);
    }
  }

  private int startOther() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", broker.getBrokersAsString());
    env.put("REGISTRY_URL", ApicurioRegistryServer.shared().url());
    env.put("HERALD_JWT_SECRET", SECRET);
    env.put("HERALD_INSTANCE_ID", "instance-b");
    env.put("DATABASE_HOST", "127.0.0.1");
    env.put("DATABASE_PORT", Integer.toString(PostgresTestDatabase.shared().port()));
    env.put("DATABASE_NAME", "postgres");
    env.put("DATABASE_USER", "postgres");
    env.put("DATABASE_PASSWORD", "postgres");
    Path log = Path.of("target", "inbox-instance-b.log");
    int otherPort = FreePorts.next();
    other =
        ServiceProcess.start(
            otherPort,
            "target/notification-service.jar",
            List.of("-Xmx384m"),
            // Its consumers are static members of the shared instance's groups: with a short
            // session the shared instance takes their partitions back soon after it stops, so the
            // tests that run next find every listener assigned.
            List.of("--spring.kafka.consumer.properties.session.timeout.ms=6000"),
            env,
            log);
    return otherPort;
  }
}
