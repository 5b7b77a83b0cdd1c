package io.herald.notification.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Channel;
import io.herald.events.v1.InboxItemArchived;
import io.herald.events.v1.InboxItemUnarchived;
import io.herald.events.v1.InboxItemsRead;
import io.herald.events.v1.InboxItemsSeen;
import io.herald.events.v1.InboxItemsUnread;
import io.herald.notification.ApiIntegrationTest;
import io.herald.notification.TestRequests;
import io.herald.support.testing.KafkaTestClients;
import io.herald.support.testing.PostgresTestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.Disposable;

/**
 * The inbox as its user sees it through the API: pages that stay put while items arrive, counts,
 * each mark with its event on {@code notification.inbox.v1} (once, however often it is repeated),
 * and nothing of anyone else's.
 */
class InboxIT extends ApiIntegrationTest {

  @org.springframework.beans.factory.annotation.Autowired private InboxRepository repository;

  @Test
  void shouldPageWithoutGapOrRepeatWhileItemsArrive() {
    Instant base = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
    for (int i = 0; i < 25; i++) {
      // Items 10..14 share a creation time: the id orders them.
      insert("alice", "account", i >= 10 && i < 15 ? base.plusSeconds(10) : base.plusSeconds(i));
    }
    List<String> expected = newestFirst("alice");
    String alice = api.token(tenant, "alice");

    List<String> seen = new ArrayList<>();
    Map<String, Object> page = api.get("/api/notifications?limit=10", alice).getBody();
    seen.addAll(ids(page));
    for (int i = 0; i < 5; i++) {
      insert("alice", "account", Instant.now()); // newer than every page: not in this walk
    }
    while (page.get("nextCursor") != null) {
      page =
          api.get("/api/notifications?limit=10&cursor=" + page.get("nextCursor"), alice).getBody();
      seen.addAll(ids(page));
    }

    assertThat(seen).containsExactlyElementsOf(expected).hasSize(25);
    assertThat(api.get("/api/notifications?cursor=not-a-cursor", alice).getStatusCode().value())
        .isEqualTo(400);
  }

  @Test
  void shouldMarkEachStateOnceAndPublishEachChange() throws Exception {
    subscriber("alice", "{\"email\":\"alice@x.example\"}");
    send(
        TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)),
        TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)),
        TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)));
    String alice = api.token(tenant, "alice");
    List<String> items =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> ids(api.get("/api/notifications", alice).getBody()), l -> l.size() == 3);
    String first = items.get(0);
    assertThat(api.get("/api/notifications/counts", alice).getBody())
        .containsEntry("unread", 3)
        .containsEntry("unseen", 3)
        .containsEntry("total", 3);

    Map<String, Object> read = post("/api/notifications/" + first + "/read", alice, null);
    assertThat(read).containsEntry("id", first);
    assertThat(read.get("readAt")).isNotNull();
    Map<String, Object> again = post("/api/notifications/" + first + "/read", alice, null);
    assertThat(again.get("readAt"))
        .as("idempotent: the first read time stays")
        .isEqualTo(read.get("readAt"));
    assertThat(api.get("/api/notifications/counts", alice).getBody()).containsEntry("unread", 2);
    assertThat(ids(api.get("/api/notifications?status=unread", alice).getBody()))
        .containsExactly(items.get(1), items.get(2));
    assertThat(ids(api.get("/api/notifications?status=read", alice).getBody()))
        .containsExactly(first);

    assertThat(post("/api/notifications/" + first + "/unread", alice, null).get("readAt")).isNull();
    Map<String, Object> many =
        post(
            "/api/notifications/read",
            alice,
            "{\"ids\":[\"" + items.get(1) + "\",\"" + items.get(2) + "\"]}");
    assertThat(ids(many)).containsExactly(items.get(1), items.get(2));
    Map<String, Object> all = post("/api/notifications/read-all", alice, "{}");
    assertThat(all).containsEntry("changed", 1);
    assertThat(post("/api/notifications/read-all", alice, "{}")).containsEntry("changed", 0);

    Map<String, Object> seen = post("/api/notifications/seen", alice, null);
    assertThat(seen).containsEntry("changed", 3);
    assertThat(api.get("/api/notifications/counts", alice).getBody())
        .containsEntry("unread", 0)
        .containsEntry("unseen", 0);
    assertThat(ids(api.get("/api/notifications?seen=false", alice).getBody())).isEmpty();

    assertThat(post("/api/notifications/" + first + "/archive", alice, null).get("archivedAt"))
        .isNotNull();
    post("/api/notifications/" + first + "/archive", alice, null);
    assertThat(ids(api.get("/api/notifications", alice).getBody())).doesNotContain(first);
    assertThat(ids(api.get("/api/notifications?archived=true", alice).getBody()))
        .containsExactly(first);
    assertThat(api.get("/api/notifications/counts", alice).getBody()).containsEntry("total", 2);
    post("/api/notifications/" + first + "/unarchive", alice, null);
    assertThat(ids(api.get("/api/notifications", alice).getBody())).contains(first);

    // On the topic: one event per change, none for the marks that changed nothing.
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(events(InboxItemsRead.class))
                  .extracting(e -> new java.util.TreeSet<>(e.getItemIds()))
                  .containsExactlyInAnyOrder(
                      new java.util.TreeSet<>(List.of(first)),
                      new java.util.TreeSet<>(List.of(items.get(1), items.get(2))),
                      new java.util.TreeSet<>(List.of(first)));
              assertThat(events(InboxItemsUnread.class))
                  .extracting(InboxItemsUnread::getItemIds)
                  .containsExactly(List.of(first));
              assertThat(events(InboxItemsSeen.class))
                  .singleElement()
                  .satisfies(e -> assertThat(e.getItemIds()).hasSize(3));
              assertThat(events(InboxItemArchived.class))
                  .extracting(InboxItemArchived::getItemId)
                  .containsExactly(first);
              assertThat(events(InboxItemUnarchived.class))
                  .extracting(InboxItemUnarchived::getItemId)
                  .containsExactly(first);
            });
  }

  @Test
  void shouldStreamEachChangeToTheUsersOwnStreamOnly() {
    String item = insert("alice", "account", Instant.now());
    String alice = api.token(tenant, "alice");
    List<ServerSentEvent<Map<String, Object>>> mine = new CopyOnWriteArrayList<>();
    List<ServerSentEvent<Map<String, Object>>> bobs = new CopyOnWriteArrayList<>();
    // The live stream reads notification.inbox.v1 once the instance is ready.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get("/actuator/health/readiness", null).getStatusCode().value() == 200);
    List<Disposable> streams = List.of(stream(alice, mine), stream(api.token(tenant, "bob"), bobs));
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> !mine.isEmpty() && !bobs.isEmpty());
      assertThat(mine.get(0).comment()).isEqualTo("connected");
      assertThat(mine.get(0).retry()).isEqualTo(Duration.ofSeconds(3));

      post("/api/notifications/" + item + "/read", alice, null);
      post("/api/notifications/seen", alice, null);
      post("/api/notifications/" + item + "/archive", alice, null);

      await().atMost(Duration.ofSeconds(20)).until(() -> events(mine).size() == 3);
      assertThat(events(mine))
          .extracting(ServerSentEvent::event)
          .containsExactly("inbox-read", "inbox-seen", "inbox-archived");
      assertThat(events(mine).get(0).data()).containsEntry("itemIds", List.of(item));
      assertThat(events(bobs)).isEmpty();
    } finally {
      streams.forEach(Disposable::dispose);
    }
  }

  @Test
  void shouldResumeAfterTheLastEventWithoutGapOrRepeat() throws Exception {
    subscriber("alice", "{\"email\":\"alice@x.example\"}");
    String alice = api.token(tenant, "alice");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get("/actuator/health/readiness", null).getStatusCode().value() == 200);
    List<ServerSentEvent<Map<String, Object>>> first = new CopyOnWriteArrayList<>();
    Disposable connection = stream(alice, null, first);
    await().atMost(Duration.ofSeconds(10)).until(() -> !first.isEmpty());
    send(TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)));
    await().atMost(Duration.ofSeconds(30)).until(() -> events(first).size() == 1);
    ServerSentEvent<Map<String, Object>> seen = events(first).get(0);
    String firstItem = (String) seen.data().get("id");
    long lastId = Long.parseLong(seen.id());
    connection.dispose(); // the network drops

    // While no client is connected: two items arrive, the first is read, and one item is stored
    // whose live event never went out.
    send(
        TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)),
        TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ids(api.get("/api/notifications", alice).getBody()).size() == 3);
    post("/api/notifications/" + firstItem + "/read", alice, null);
    String lost = UUID.randomUUID().toString();
    PostgresTestDatabase.shared()
        .column(
            "WITH s AS (UPDATE inbox_sequences SET last_seq = last_seq + 1 WHERE tenant_id = '"
                + tenant
                + "' AND user_id = 'alice' RETURNING last_seq)"
                + " INSERT INTO inbox_items (id, tenant_id, user_id, notification_id, category,"
                + " title, body, created_at, seq) SELECT '"
                + lost
                + "', '"
                + tenant
                + "', 'alice', '"
                + UUID.randomUUID()
                + "', 'account', 'Lost', 'Its live event was lost', now(), last_seq FROM s"
                + " RETURNING id");

    List<ServerSentEvent<Map<String, Object>>> resumed = new CopyOnWriteArrayList<>();
    connection = stream(alice, Long.toString(lastId), resumed);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> events(resumed).size() == 4);
      send(TestRequests.request(tenant, List.of("alice"), List.of(), List.of(Channel.IN_APP)));
      await().atMost(Duration.ofSeconds(30)).until(() -> events(resumed).size() == 5);

      List<ServerSentEvent<Map<String, Object>>> got = events(resumed);
      assertThat(got)
          .extracting(ServerSentEvent::event)
          .containsExactly("inbox-item", "inbox-item", "inbox-read", "inbox-item", "inbox-item");
      assertThat(got.get(2).data()).containsEntry("itemIds", List.of(firstItem));
      assertThat(got.get(3).data()).containsEntry("id", lost);
      List<Long> numbers = got.stream().map(e -> Long.parseLong(e.id())).toList();
      assertThat(numbers).isSorted().doesNotHaveDuplicates().allMatch(n -> n > lastId);
      assertThat(
              got.stream().filter(e -> "inbox-item".equals(e.event())).map(e -> e.data().get("id")))
          .doesNotHaveDuplicates()
          .doesNotContain(firstItem);
      Thread.sleep(1_000); // nothing further arrives twice
      assertThat(events(resumed)).hasSize(5);
    } finally {
      connection.dispose();
    }
  }

  @Test
  void shouldTellAClientToReloadWhenWhatItMissedIsNoLongerKept() {
    String item = insert("alice", "account", Instant.now());
    String alice = api.token(tenant, "alice");
    post("/api/notifications/" + item + "/read", alice, null);
    post("/api/notifications/" + item + "/unread", alice, null);
    // A week later, the retention forgets those changes.
    PostgresTestDatabase.shared()
        .column(
            "UPDATE inbox_changes SET at = now() - interval '8 days' WHERE tenant_id = '"
                + tenant
                + "' RETURNING seq");
    repository.forgetChanges(Instant.now().minus(Duration.ofDays(7))).block(Duration.ofSeconds(10));
    assertThat(
            PostgresTestDatabase.shared()
                .column("SELECT count(*) FROM inbox_changes WHERE tenant_id = '" + tenant + "'"))
        .containsExactly("0");
    List<ServerSentEvent<Map<String, Object>>> resumed = new CopyOnWriteArrayList<>();
    Disposable connection = stream(alice, "1", resumed);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> events(resumed).size() == 1);
      assertThat(events(resumed).get(0).event()).isEqualTo("reset");
    } finally {
      connection.dispose();
    }
  }

  private static List<ServerSentEvent<Map<String, Object>>> events(
      List<ServerSentEvent<Map<String, Object>>> received) {
    return TestStreams.changes(received);
  }

  private Disposable stream(String token, List<ServerSentEvent<Map<String, Object>>> sink) {
    return TestStreams.open(port, token, null, sink);
  }

  private Disposable stream(
      String token, String lastEventId, List<ServerSentEvent<Map<String, Object>>> sink) {
    return TestStreams.open(port, token, lastEventId, sink);
  }

  @Test
  void shouldReadAllOfOneCategoryOnly() {
    String a = insert("alice", "security", Instant.now().minusSeconds(3));
    String b = insert("alice", "marketing", Instant.now().minusSeconds(2));
    String alice = api.token(tenant, "alice");

    assertThat(post("/api/notifications/read-all", alice, "{\"category\":\"security\"}"))
        .containsEntry("changed", 1);

    assertThat(ids(api.get("/api/notifications?status=unread", alice).getBody()))
        .containsExactly(b);
    assertThat(ids(api.get("/api/notifications?category=security", alice).getBody()))
        .containsExactly(a);
  }

  @Test
  void shouldShowNothingOfAnotherUsersOrTenantsItems() {
    String bobs = insert("bob", "account", Instant.now());
    String mine = insert("alice", "account", Instant.now());
    String alice = api.token(tenant, "alice");
    String outsider = api.token("t-" + UUID.randomUUID(), "bob");

    for (String token : List.of(alice, outsider)) {
      ResponseEntity<Map<String, Object>> one = api.get("/api/notifications/" + bobs, token);
      assertThat(one.getStatusCode().value()).isEqualTo(404);
      assertThat(one.getBody()).containsEntry("type", "https://herald.dev/problems/not-found");
      assertThat(
              api.call(HttpMethod.POST, "/api/notifications/" + bobs + "/read", token, null)
                  .getStatusCode()
                  .value())
          .isEqualTo(404);
      assertThat(
              api.call(HttpMethod.POST, "/api/notifications/" + bobs + "/archive", token, null)
                  .getStatusCode()
                  .value())
          .isEqualTo(404);
    }
    // One foreign id among the caller's own: refused whole, nothing changes.
    assertThat(
            api.call(
                    HttpMethod.POST,
                    "/api/notifications/read",
                    alice,
                    "{\"ids\":[\"" + mine + "\",\"" + bobs + "\"]}")
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(
            api.call(HttpMethod.POST, "/api/notifications/not-a-uuid/read", alice, null)
                .getStatusCode()
                .value())
        .isEqualTo(404);
    assertThat(
            PostgresTestDatabase.shared()
                .column(
                    "SELECT count(*) FROM inbox_items WHERE tenant_id = '"
                        + tenant
                        + "' AND read_at IS NOT NULL"))
        .containsExactly("0");
    assertThat(api.get("/api/notifications/counts", outsider).getBody()).containsEntry("total", 0);
    assertThat(ids(api.get("/api/notifications", alice).getBody())).containsExactly(mine);
  }

  private Map<String, Object> post(String path, String token, String json) {
    ResponseEntity<Map<String, Object>> response = api.call(HttpMethod.POST, path, token, json);
    assertThat(response.getStatusCode().value()).as(path + " " + response.getBody()).isEqualTo(200);
    return response.getBody();
  }

  private <T extends SpecificRecord> List<T> events(Class<T> type) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "notification.inbox.v1",
        type,
        e -> tenant.equals(String.valueOf(e.get(e.getSchema().getField("tenantId").pos()))));
  }

  /** An item of this test's tenant, stored as the fan-out stores them. */
  private String insert(String user, String category, Instant at) {
    return TestInbox.insert(tenant, user, category, at);
  }

  private List<String> newestFirst(String user) {
    return PostgresTestDatabase.shared()
        .column(
            "SELECT id FROM inbox_items WHERE tenant_id = '"
                + tenant
                + "' AND user_id = '"
                + user
                + "' ORDER BY created_at DESC, id DESC");
  }

  @SuppressWarnings("unchecked")
  private static List<String> ids(Map<String, Object> page) {
    return ((List<Map<String, Object>>) page.get("items"))
        .stream().map(i -> (String) i.get("id")).toList();
  }
}
