package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole platform started the way {@code ./herald run} starts it (broker, registry, PostgreSQL,
 * GreenMail, simulators and the six services, each its own process), driven through the gateway's
 * HTTP API and SSE stream to the SMTP server and the simulated WhatsApp, FCM and Web Push
 * providers, and back through the WhatsApp status webhook; posts through review, from the gateway's
 * commands to publishing-service's state.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlatformEndToEndIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static Platform platform;
  private static Path dataDir;
  private static OtlpReceiver traces;

  @BeforeAll
  static void startPlatform() throws IOException {
    dataDir = Files.createTempDirectory(Path.of("target"), "e2e-");
    traces = new OtlpReceiver();
    // As an operator would run it with a collector: every trace exported, a log line per hop.
    platform =
        Platform.start(
            PlatformConfig.isolated(dataDir).withTraces(traces.tracesUrl()).withLogLevel("DEBUG"));
  }

  @AfterAll
  static void stopPlatform() {
    if (traces != null) {
      traces.close();
    }
    if (platform == null) {
      return;
    }
    List<Long> children = platform.childProcessIds();
    platform.close();
    assertThat(children)
        .as("no process of the platform is left behind")
        .allSatisfy(
            pid ->
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                    .isNotEqualTo(Optional.of(true)));
    assertThat(Ports.isFree(platform.ports().postgres())).as("PostgreSQL stopped").isTrue();
  }

  @Test
  void shouldDeliverToRecipientsStreamAndMailboxOnlyAndNobodyElse() throws Exception {
    List<JsonNode> bobsItems = new CopyOnWriteArrayList<>();
    List<JsonNode> carolsItems = new CopyOnWriteArrayList<>();
    List<JsonNode> davesItems = new CopyOnWriteArrayList<>();
    InboxStream bob = stream(token("acme", "bob"), bobsItems);
    InboxStream carol = stream(token("acme", "carol"), carolsItems);
    InboxStream dave = stream(token("globex", "dave"), davesItems);
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> bob.isConnected() && carol.isConnected() && dave.isConnected());

      String requestId =
          sendAsAlice(
              """
              {"recipients": {"userIds": ["bob"]}, "channels": ["IN_APP", "EMAIL"],
               "category": "account", "title": "Welcome aboard",
               "body": "Hello Bob, your account is ready."}
              """);

      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  bobsItems.stream()
                      .anyMatch(i -> requestId.equals(i.get("notificationId").asString())));
      JsonNode item = bobsItems.get(0);
      assertThat(item.get("title").asString()).isEqualTo("Welcome aboard");
      assertThat(item.get("body").asString()).isEqualTo("Hello Bob, your account is ready.");

      JsonNode mail =
          await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> mailbox("bob@acme.example"), box -> box.size() == 1)
              .get(0);
      assertThat(mail.get("subject").asString()).isEqualTo("Welcome aboard");
      String mime = mail.get("mimeMessage").asString();
      assertThat(mime)
          .contains("To: bob@acme.example")
          .contains("Hello Bob, your account is ready.");

      // bob's inbox lists it through the gateway; nobody else received anything.
      assertThat(get("/api/notifications", token("acme", "bob"))).contains(requestId);
      assertThat(get("/api/notifications", token("acme", "carol"))).doesNotContain(requestId);
      assertThat(get("/api/notifications", token("globex", "dave"))).doesNotContain(requestId);
      assertThat(carolsItems).isEmpty();
      assertThat(davesItems).isEmpty();
      assertThat(mailbox("carol@acme.example")).isEmpty();
      assertThat(mailbox("dave@globex.example")).isEmpty();
    } finally {
      Stream.of(bob, carol, dave).forEach(InboxStream::close);
    }
  }

  @Test
  void shouldReachEveryChannelsProviderAndReportWhatsAppReadReceipts() throws Exception {
    Map<String, Long> before = receipts();
    String requestId =
        sendAsAlice(
            """
            {"recipients": {"userIds": ["alice"]},
             "channels": ["IN_APP", "EMAIL", "WHATSAPP", "PUSH"],
             "category": "orders", "title": "Order shipped",
             "body": "Your order A-1042 is on its way."}
            """);

    // Each provider received it: GreenMail the mail, the simulators the WhatsApp message, the FCM
    // message and the Web Push message (alice has one device of each kind).
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                mailbox("alice@acme.example").stream()
                    .anyMatch(m -> m.get("subject").asString().equals("Order shipped")));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Map<String, Long> now = receipts();
              return now.get("whatsapp") > before.get("whatsapp")
                  && now.get("fcm") > before.get("fcm")
                  && now.get("webpush") > before.get("webpush");
            });
    assertThat(get("/api/notifications", token("acme", "alice"))).contains(requestId);

    // Meta reports the message delivered and read: signed webhooks become status events.
    WhatsAppStatusSimulator.Sent message =
        WhatsAppStatusSimulator.sentMessages(platform.simulatorsBase()).stream()
            .filter(m -> m.callbackData() != null && m.callbackData().contains(requestId))
            .findFirst()
            .orElseThrow();
    for (String status : List.of("delivered", "read")) {
      String callback = WhatsAppStatusSimulator.callback(message, status, 1767225600L);
      assertThat(
              Http.post(
                      platform.gatewayUrl() + "/webhooks/whatsapp",
                      callback,
                      "Content-Type",
                      "application/json",
                      "X-Hub-Signature-256",
                      WhatsAppStatusSimulator.sign(
                          callback, platform.credentials().get("whatsapp.app-secret")))
                  .statusCode())
          .isEqualTo(200);
    }
    assertThat(
            Http.post(
                    platform.gatewayUrl() + "/webhooks/whatsapp",
                    WhatsAppStatusSimulator.callback(message, "read", 1767225600L),
                    "X-Hub-Signature-256",
                    "sha256=00")
                .statusCode())
        .as("an unsigned callback is refused")
        .isEqualTo(401);

    List<String> statuses = new CopyOnWriteArrayList<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              statuses.clear();
              statuses.addAll(statusesOf(requestId));
              return statuses.containsAll(
                  List.of(
                      "DeliverySent:smtp",
                      "DeliverySent:whatsapp-cloud",
                      "DeliverySent:fcm",
                      "DeliverySent:webpush",
                      "DeliveryDelivered:WHATSAPP",
                      "DeliveryRead:WHATSAPP"));
            });

    // The sender follows it to each channel's outcome: the activity the workers reported.
    String activity = "/api/notifications/requests/" + requestId + "/activity";
    JsonNode followed =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> JSON.readTree(get(activity, token("acme", "alice"))).get("summary"),
                summary -> summary != null && summary.get("pending").asInt() == 0);
    assertThat(JSON.convertValue(followed.get("channels"), Map.class))
        .isEqualTo(
            Map.of(
                "IN_APP", Map.of("DELIVERED", 1),
                "EMAIL", Map.of("SENT", 1),
                "WHATSAPP", Map.of("READ", 1),
                "PUSH", Map.of("SENT", 2)));
    assertThat(followed.get("recipients").asInt()).isEqualTo(1);
  }

  @Test
  void shouldShowTheInboxPageLiveAndCatchUpAfterANetworkDrop() throws Exception {
    String user = "erin-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    String admin = token("acme", "alice", List.of("admin"), List.of());
    assertThat(call("PUT", "/api/subscribers/" + user, admin, "{}").statusCode()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> call("GET", "/api/subscribers/" + user, admin, null).statusCode() == 200);
    String erin = token("acme", user);
    // More than a page before the page opens: the rest comes on scrolling.
    for (int i = 1; i <= 23; i++) {
      sendTo(user, "Earlier " + i);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> itemsOf(erin) == 23);

    try (DroppableProxy proxy = DroppableProxy.to(platform.ports().gateway());
        InboxPage page = InboxPage.open("http://127.0.0.1:" + proxy.port() + "/inbox/")) {
      page.signIn(erin);
      await().atMost(Duration.ofSeconds(30)).until(() -> "live".equals(page.status()));
      await().atMost(Duration.ofSeconds(10)).until(() -> page.titles().size() == 20);
      assertThat(page.badge()).isEqualTo(23);
      page.scrollToEnd();
      await().atMost(Duration.ofSeconds(10)).until(() -> page.titles().size() == 23);
      assertThat(page.titles())
          .containsExactlyInAnyOrderElementsOf(
              java.util.stream.IntStream.rangeClosed(1, 23).mapToObj(i -> "Earlier " + i).toList());
      double loadedAt = page.loadedAt();

      // A notification sent through the API appears at the top, and the badge counts it.
      sendTo(user, "Live one");
      await().atMost(Duration.ofSeconds(30)).until(() -> page.titles().get(0).equals("Live one"));
      await().atMost(Duration.ofSeconds(10)).until(() -> page.badge() == 24);
      page.toggleRead("Live one");
      await().atMost(Duration.ofSeconds(10)).until(() -> page.badge() == 23);
      assertThat(page.unreadTitles()).doesNotContain("Live one");

      // The network drops; what is sent meanwhile is stored, and shows after the reconnect.
      proxy.drop();
      await().atMost(Duration.ofSeconds(30)).until(() -> !"live".equals(page.status()));
      sendTo(user, "While away 1");
      await().atMost(Duration.ofSeconds(30)).until(() -> itemsOf(erin) == 25);
      sendTo(user, "While away 2");
      await().atMost(Duration.ofSeconds(30)).until(() -> itemsOf(erin) == 26);
      assertThat(page.titles()).doesNotContain("While away 1", "While away 2");
      proxy.restore();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> page.titles().containsAll(List.of("While away 1", "While away 2")));
      assertThat(page.titles())
          .startsWith("While away 2", "While away 1", "Live one")
          .hasSize(26)
          .doesNotHaveDuplicates();
      await().atMost(Duration.ofSeconds(10)).until(() -> page.badge() == 25);
      assertThat(page.status()).isEqualTo("live");
      page.scrollToTop();
      Path shot = page.screenshot(Path.of("target", "screenshots", "inbox-page.png"));
      System.out.println("[PlatformEndToEndIT] inbox page screenshot: " + shot.toAbsolutePath());

      page.readAll();
      await().atMost(Duration.ofSeconds(10)).until(() -> page.badge() == 0);
      assertThat(page.unreadTitles()).isEmpty();
      page.archive("Live one");
      await().atMost(Duration.ofSeconds(10)).until(() -> !page.titles().contains("Live one"));
      assertThat(page.loadedAt()).as("the page was never reloaded").isEqualTo(loadedAt);
    }
    assertThat(itemsOf(erin)).as("archived items leave the list").isEqualTo(25);
  }

  private static void sendTo(String user, String title) throws Exception {
    sendAsAlice(
        "{\"recipients\": {\"userIds\": [\""
            + user
            + "\"]}, \"channels\": [\"IN_APP\"], \"category\": \"account\", \"title\": \""
            + title
            + "\", \"body\": \"Sent by the inbox page test.\"}");
  }

  /** How many items the user's inbox lists (not archived). */
  private static int itemsOf(String token) throws Exception {
    return JSON.readTree(get("/api/notifications/counts", token)).get("total").asInt();
  }

  /** Accepted messages per provider, as the simulators counted them. */
  private static Map<String, Long> receipts() throws Exception {
    JsonNode body = JSON.readTree(Http.get(platform.simulatorsBase() + "/__admin/herald/receipts"));
    Map<String, Long> counts = new java.util.HashMap<>();
    for (String provider : List.of("whatsapp", "fcm", "webpush", "sendgrid")) {
      counts.put(provider, body.path(provider).path("accepted").asLong(0));
    }
    return counts;
  }

  /** The status events of a notification, as {@code Type:provider} or {@code Type:CHANNEL}. */
  private static List<String> statusesOf(String notificationId) {
    io.herald.support.kafka.RegistrySerde.trustHeraldClasses();
    Map<String, Object> config =
        new java.util.HashMap<>(
            io.herald.support.kafka.RegistrySerde.consumerProperties(
                platform.registryBase() + "/apis/registry/v3"));
    config.put("bootstrap.servers", "127.0.0.1:" + platform.ports().kafka());
    config.put("isolation.level", "read_committed");
    config.put("enable.auto.commit", false);
    config.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class);
    config.put("value.deserializer", io.apicurio.registry.serde.avro.AvroKafkaDeserializer.class);
    List<String> found = new java.util.ArrayList<>();
    try (var consumer =
        new org.apache.kafka.clients.consumer.KafkaConsumer<String, Object>(config)) {
      String topic = "notification.delivery-status.v1";
      var partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      var end = consumer.endOffsets(partitions);
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        for (var record : consumer.poll(Duration.ofMillis(500))) {
          if (notificationId.equals(record.key())
              && record.value() instanceof org.apache.avro.generic.GenericRecord status) {
            String type = status.getSchema().getName();
            Object detail =
                status.getSchema().getField("provider") != null
                    ? status.get("provider")
                    : status.get("channel");
            found.add(type + ":" + detail);
          }
        }
      }
    }
    return found;
  }

  @Test
  void shouldTakePostsThroughReviewRefusingWhatTheirStateOrTheCallerDoesNotAllow()
      throws Exception {
    String alice = token("acme", "alice", List.of("author"), List.of("shoes"));
    String rita = token("acme", "rita", List.of("approver"), List.of("shoes"));
    String olga = token("acme", "olga", List.of("approver"), List.of("hats"));
    String first = createPost(alice, "Spring sale: 20% off all sneakers");
    String second = createPost(alice, "New laces in store");
    String third = createPost(alice, "Draft, not submitted");
    for (String post : List.of(first, second, third)) {
      awaitPostState(post, rita, "draft");
    }

    HttpResponse<String> early = call("POST", "/api/posts/" + first + "/approve", rita, "{}");
    assertThat(early.statusCode()).isEqualTo(409);
    assertThat(early.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode conflict = JSON.readTree(early.body());
    assertThat(conflict.get("type").asString()).endsWith("/invalid-transition");
    assertThat(conflict.get("currentState").asString()).isEqualTo("draft");

    for (String post : List.of(first, second)) {
      assertThat(call("POST", "/api/posts/" + post + "/submit", alice, null).statusCode())
          .isEqualTo(202);
      awaitPostState(post, rita, "pending_approval");
    }
    assertThat(call("POST", "/api/posts/" + first + "/approve", alice, "{}").statusCode())
        .as("an author is no approver")
        .isEqualTo(403);
    assertThat(call("GET", "/api/posts/" + first, olga, null).statusCode())
        .as("another brand's post is not found")
        .isEqualTo(404);
    assertThat(call("POST", "/api/posts/" + first + "/approve", olga, "{}").statusCode())
        .isEqualTo(404);

    HttpResponse<String> bulk =
        call(
            "POST",
            "/api/posts/approvals",
            rita,
            "{\"decisions\":["
                + "{\"postId\":\""
                + first
                + "\",\"decision\":\"approve\",\"comment\":\"Nice\"},"
                + "{\"postId\":\""
                + second
                + "\",\"decision\":\"reject\",\"reason\":\"Show the new colours\"},"
                + "{\"postId\":\""
                + third
                + "\",\"decision\":\"approve\"},"
                + "{\"postId\":\"no-such-post\",\"decision\":\"approve\"}]}");
    assertThat(bulk.statusCode()).isEqualTo(202);
    JsonNode outcome = JSON.readTree(bulk.body());
    assertThat(outcome.get("accepted").asInt()).isEqualTo(2);
    assertThat(outcome.get("refused").asInt()).isEqualTo(2);
    assertThat(outcome.get("results").valueStream().map(r -> r.get("status").asInt()).toList())
        .containsExactly(202, 202, 409, 404);

    awaitPostState(first, rita, "approved");
    JsonNode rejected = awaitPostState(second, rita, "rejected");
    assertThat(rejected.get("reason").asString()).isEqualTo("Show the new colours");
    JsonNode history =
        JSON.readTree(call("GET", "/api/posts/" + first + "/history", rita, null).body());
    assertThat(history.get("items").valueStream().map(e -> e.get("type").asString()).toList())
        .containsExactly("PostCreated", "PostSubmitted", "ContentApproved");

    assertThat(
            call(
                    "PUT",
                    "/api/posts/" + second,
                    alice,
                    "{\"text\":\"New laces, in six colours\",\"platforms\":[\"X\"]}")
                .statusCode())
        .isEqualTo(202);
    assertThat(awaitPostState(second, rita, "draft").get("text").asString())
        .isEqualTo("New laces, in six colours");
    // Connect the brand's X account (the OAuth redirect followed by hand), then publish.
    JsonNode connection = connectX("shoes");
    assertThat(connection.get("accountName").asString()).isEqualTo("acmeshoes");
    assertThat(
            call(
                    "POST",
                    "/api/posts/" + first + "/publish",
                    rita,
                    "{\"connectionIds\":[\"" + connection.get("connectionId").asString() + "\"]}")
                .statusCode())
        .isEqualTo(202);
    awaitPostState(first, rita, "published");
    JsonNode jobs = JSON.readTree(call("GET", "/api/jobs?postId=" + first, rita, null).body());
    assertThat(jobs.get("items").get(0).get("url").asString())
        .startsWith("https://x.com/acmeshoes/status/");
    JsonNode audit = JSON.readTree(call("GET", "/api/audit?postId=" + first, rita, null).body());
    assertThat(audit.get("items").get(0).get("statusCode").asInt()).isEqualTo(201);
    // The author hears of the approval and of the publication in her inbox, newest first.
    List<String> told =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    JSON.readTree(get("/api/notifications", alice))
                        .get("items")
                        .valueStream()
                        .filter(i -> i.get("body").asString().contains("Spring sale"))
                        .map(i -> i.get("category").asString())
                        .toList(),
                categories -> categories.size() >= 2);
    assertThat(told).containsExactly("content.published", "content.approved");

    HttpResponse<String> none =
        call(
            "POST",
            "/api/posts/approvals",
            rita,
            "{\"decisions\":[{\"postId\":\"" + first + "\",\"decision\":\"approve\"}]}");
    assertThat(none.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(none.body()).get("type").asString()).endsWith("/bulk-refused");
  }

  /** Connects the brand's X account through the OAuth redirect, followed by hand. */
  private static JsonNode connectX(String brand) throws Exception {
    String admin = token("acme", "ada", List.of("admin"), List.of(brand));
    HttpResponse<String> started =
        call(
            "POST",
            "/api/connections/authorize",
            admin,
            "{\"brandId\":\"" + brand + "\",\"platform\":\"X\"}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
    HttpResponse<String> consent =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(JSON.readTree(started.body()).get("authorizeUrl").asString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(consent.statusCode()).isEqualTo(302);
    String callback = consent.headers().firstValue("Location").orElseThrow();
    assertThat(callback).startsWith(platform.gatewayUrl() + "/oauth/callback?");
    HttpResponse<String> connected =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(callback)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(connected.statusCode()).as(connected.body()).isEqualTo(200);
    assertThat(connected.body()).doesNotContain("xat-").doesNotContain("xrt-");
    return JSON.readTree(connected.body());
  }

  private static String createPost(String token, String text) throws Exception {
    HttpResponse<String> accepted =
        call(
            "POST",
            "/api/posts",
            token,
            "{\"brandId\":\"shoes\",\"text\":\"" + text + "\",\"platforms\":[\"X\",\"LINKEDIN\"]}");
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    return JSON.readTree(accepted.body()).get("postId").asString();
  }

  private static JsonNode awaitPostState(String postId, String token, String state) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              HttpResponse<String> r = call("GET", "/api/posts/" + postId, token, null);
              return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
            },
            post -> post != null && state.equals(post.get("state").asString()));
  }

  private static HttpResponse<String> call(String method, String path, String token, String json)
      throws Exception {
    return call(method, path, token, json, null);
  }

  /** A call in the caller's trace when {@code traceParent} is given. */
  private static HttpResponse<String> call(
      String method, String path, String token, String json, String traceParent) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + path));
    if (traceParent != null) {
      request.header("traceparent", traceParent);
    }
    return HTTP.send(
        request
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldFollowOneNotificationThroughEveryHopInOneTrace() throws Exception {
    String traceId = randomHex(32);
    String callerSpan = randomHex(16);
    HttpResponse<String> accepted =
        call(
            "POST",
            "/api/notifications",
            token("acme", "alice"),
            """
            {"recipients": {"userIds": ["alice"]},
             "channels": ["IN_APP", "EMAIL", "WHATSAPP", "PUSH"],
             "category": "orders", "title": "Traced", "body": "Followed through every hop."}
            """,
            "00-" + traceId + "-" + callerSpan + "-01");
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    String requestId = JSON.readTree(accepted.body()).get("requestId").asString();

    // Each hop's spans reach the collector, each a child of a span of the hop before it.
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(
            () -> {
              List<OtlpReceiver.ReceivedSpan> spans = traces.trace(traceId);
              Set<String> ids = OtlpReceiver.spanIds(spans);
              assertThat(spans)
                  .filteredOn(
                      s ->
                          s.service().equals("gateway-service")
                              && s.kind().equals("SPAN_KIND_SERVER"))
                  .singleElement()
                  .extracting(OtlpReceiver.ReceivedSpan::parentSpanId)
                  .isEqualTo(callerSpan);
              for (List<String> hop :
                  List.of(
                      List.of("notification-service", "notification fan-out"),
                      List.of("email-worker", "email delivery"),
                      List.of("whatsapp-worker", "whatsapp delivery"),
                      List.of("push-worker", "push delivery"))) {
                assertThat(spans)
                    .as(hop.toString())
                    .filteredOn(s -> s.service().equals(hop.get(0)) && s.name().equals(hop.get(1)))
                    .isNotEmpty()
                    .allSatisfy(s -> assertThat(ids).contains(s.parentSpanId()));
              }
              // The provider calls, within the deliveries.
              for (String worker : List.of("whatsapp-worker", "push-worker")) {
                assertThat(spans)
                    .as(worker + " provider calls")
                    .filteredOn(
                        s -> s.service().equals(worker) && s.kind().equals("SPAN_KIND_CLIENT"))
                    .isNotEmpty()
                    .allSatisfy(s -> assertThat(ids).contains(s.parentSpanId()));
              }
            });
    // The providers received the trace context with the messages.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> providersOfTrace(traceId),
            providers -> providers.containsAll(List.of("whatsapp", "fcm", "webpush")));
    // Every hop logged the request under its trace id.
    for (String service :
        List.of(
            "gateway-service",
            "notification-service",
            "email-worker",
            "whatsapp-worker",
            "push-worker")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .alias(service + " logs the request in its trace")
          .until(
              () ->
                  logLines(service).stream()
                      .anyMatch(
                          line ->
                              traceId.equals(text(line, "traceId"))
                                  && requestId.equals(text(line, "requestId"))
                                  && "acme".equals(text(line, "tenant"))));
    }
  }

  @Test
  void shouldFollowAPublishRequestToTheSocialPlatformInOneTrace() throws Exception {
    String alice = token("acme", "alice", List.of("author"), List.of("shoes"));
    String rita = token("acme", "rita", List.of("approver"), List.of("shoes"));
    String connectionId = connectX("shoes").get("connectionId").asString();
    String post = createPost(alice, "Traced: summer boots " + randomHex(6));
    awaitPostState(post, rita, "draft");
    assertThat(call("POST", "/api/posts/" + post + "/submit", alice, null).statusCode())
        .isEqualTo(202);
    awaitPostState(post, rita, "pending_approval");
    assertThat(call("POST", "/api/posts/" + post + "/approve", rita, "{}").statusCode())
        .isEqualTo(202);
    awaitPostState(post, rita, "approved");

    String traceId = randomHex(32);
    HttpResponse<String> publish =
        call(
            "POST",
            "/api/posts/" + post + "/publish",
            rita,
            "{\"connectionIds\":[\"" + connectionId + "\"]}",
            "00-" + traceId + "-" + randomHex(16) + "-01");
    assertThat(publish.statusCode()).as(publish.body()).isEqualTo(202);
    awaitPostState(post, rita, "published");

    // The command, the job that ran later and its call to X are one trace.
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              List<OtlpReceiver.ReceivedSpan> spans = traces.trace(traceId);
              Set<String> ids = OtlpReceiver.spanIds(spans);
              assertThat(spans).filteredOn(s -> s.service().equals("gateway-service")).isNotEmpty();
              OtlpReceiver.ReceivedSpan job =
                  assertThat(spans)
                      .filteredOn(
                          s ->
                              s.service().equals("publishing-service")
                                  && s.name().equals("publish x"))
                      .singleElement()
                      .actual();
              assertThat(spans)
                  .filteredOn(s -> s.spanId().equals(job.parentSpanId()))
                  .singleElement()
                  .satisfies(
                      command -> {
                        assertThat(command.name()).isEqualTo("post command");
                        assertThat(ids).contains(command.parentSpanId());
                      });
              assertThat(spans)
                  .filteredOn(
                      s ->
                          s.service().equals("publishing-service")
                              && s.kind().equals("SPAN_KIND_CLIENT"))
                  .isNotEmpty()
                  .allSatisfy(s -> assertThat(s.parentSpanId()).isEqualTo(job.spanId()));
            });
    assertThat(providersOfTrace(traceId)).contains("x");
    for (String id : List.of("eventId", "jobId")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .alias("publishing-service logs the " + id + " in the trace")
          .until(
              () ->
                  logLines("publishing-service").stream()
                      .anyMatch(
                          line ->
                              traceId.equals(text(line, "traceId"))
                                  && post.equals(text(line, "postId"))
                                  && text(line, id) != null));
    }
  }

  @Test
  void shouldPublishEveryContractAtStartAndServeTheAsyncApiDocument() throws Exception {
    // The owners register their topics' value types once they are up, before anything is produced.
    java.util.Set<String> expected = new java.util.TreeSet<>();
    for (io.herald.events.catalog.TopicSpec topic : io.herald.events.catalog.TopicCatalog.ALL) {
      for (Class<?> type : topic.valueTypes()) {
        expected.add(topic.name() + "-" + type.getSimpleName());
      }
    }
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        JSON.readTree(
                                HTTP.send(
                                        HttpRequest.newBuilder(
                                                URI.create(
                                                    platform.registryBase()
                                                        + "/apis/ccompat/v7/subjects"))
                                            .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                    .body())
                            .valueStream()
                            .map(subject -> subject.asString())
                            .toList())
                    .containsAll(expected));

    HttpResponse<String> asyncApi =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + "/asyncapi/asyncapi.yaml"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(asyncApi.statusCode()).isEqualTo(200);
    assertThat(asyncApi.body()).startsWith("asyncapi: 3.0.0").contains("content.approvals.v1");
    HttpResponse<String> contract =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        platform.gatewayUrl()
                            + "/asyncapi/src/main/avro/events/ContentApproved.avsc"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(contract.statusCode()).isEqualTo(200);
    assertThat(contract.body()).contains("\"ContentApproved\"");
  }

  /** Runs after the others, when every service has consumed, produced and answered something. */
  @Test
  @Order(Integer.MAX_VALUE - 2)
  void shouldScrapeEveryServiceAndEvaluateTheAlertRulesInPrometheus() throws Exception {
    assertThat(platform.hasPrometheus())
        .as(
            "Prometheus started: the platform needs Debian's prometheus package for it"
                + " (apt-get install prometheus; .ci/run installs it)")
        .isTrue();

    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode up = prometheus("/api/v1/query?query=up%7Bjob%3D%22herald%22%7D");
              assertThat(up.path("data").path("result"))
                  .extracting(r -> r.path("metric").path("application").asString())
                  .containsExactlyInAnyOrderElementsOf(Platform.SERVICES);
              assertThat(up.path("data").path("result"))
                  .allSatisfy(r -> assertThat(r.path("value").get(1).asString()).isEqualTo("1"));
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode groups = prometheus("/api/v1/rules").path("data").path("groups");
              assertThat(groups).extracting(g -> g.path("name").asString()).contains("herald");
              for (JsonNode group : groups) {
                assertThat(group.path("rules"))
                    .hasSizeGreaterThanOrEqualTo(14)
                    .allSatisfy(
                        rule ->
                            assertThat(rule.path("health").asString())
                                .as(rule.path("name").asString() + " " + rule.path("lastError"))
                                .isEqualTo("ok"));
              }
            });
    // The consumers' own lag figures reach Prometheus: the recorded lag of every consuming service.
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        prometheus("/api/v1/query?query=herald:consumer_lag:sum")
                            .path("data")
                            .path("result"))
                    .extracting(r -> r.path("metric").path("application").asString())
                    .contains("notification-service", "publishing-service", "email-worker"));
  }

  /**
   * Every panel of every dashboard, its query run against the platform's Prometheus after the other
   * tests' traffic: none may be refused or come back empty.
   */
  @Test
  @Order(Integer.MAX_VALUE - 1)
  void shouldShowDataInEveryDashboardPanel() throws Exception {
    assertThat(platform.hasPrometheus()).isTrue();
    List<GrafanaDashboards.Query> queries = GrafanaDashboards.queries();
    assertThat(queries).hasSizeGreaterThan(30);

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              List<String> empty = new ArrayList<>();
              for (GrafanaDashboards.Query query : queries) {
                JsonNode answer =
                    prometheus(
                        "/api/v1/query?query="
                            + URLEncoder.encode(query.asPrometheusQuery(), StandardCharsets.UTF_8));
                if (answer.path("data").path("result").isEmpty()) {
                  empty.add(query.toString());
                }
              }
              assertThat(empty).as("panels without data").isEmpty();
            });
  }

  /**
   * The WhatsApp Cloud API goes down (the simulator answers 503 to every send): the worker's
   * circuit breaker opens and Herald's alert about it fires in the platform's Prometheus. The rules
   * are Herald's own, with each {@code for:} taken out so the test need not wait minutes (their
   * timing is what {@code PrometheusRulesTest} checks).
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void shouldFireTheCircuitAlertInPrometheusWhenAProviderIsDown() throws Exception {
    assertThat(platform.hasPrometheus()).isTrue();
    Path rules = platform.prometheusRules().resolve("herald-alerts.yml");
    Files.writeString(rules, Files.readString(rules).replaceAll("for: \\d+m", "for: 0s"));
    assertThat(Http.post(platform.prometheusUrl() + "/-/reload", "").statusCode()).isEqualTo(200);
    JsonNode outage =
        JSON.readTree(
            Files.readString(Path.of("simulators", "failure-modes", "whatsapp-outage.json")));
    String mappings = platform.simulatorsBase() + "/__admin/mappings";
    assertThat(
            Http.post(mappings, outage.toString(), "Content-Type", "application/json").statusCode())
        .isEqualTo(201);
    try {
      for (int i = 0; i < 30; i++) {
        sendAsAlice(
            """
            {"recipients": {"userIds": ["alice"]}, "channels": ["WHATSAPP"],
             "category": "orders", "title": "Outage %d", "body": "Sent while the API is down."}
            """
                .formatted(i));
      }

      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofSeconds(2))
          .untilAsserted(
              () ->
                  assertThat(prometheus("/api/v1/alerts").path("data").path("alerts"))
                      .anySatisfy(
                          alert -> {
                            assertThat(alert.path("labels").path("alertname").asString())
                                .isEqualTo("HeraldCircuitOpen");
                            assertThat(alert.path("labels").path("application").asString())
                                .isEqualTo("whatsapp-worker");
                            assertThat(alert.path("state").asString()).isEqualTo("firing");
                          }));
    } finally {
      HTTP.send(
          HttpRequest.newBuilder(URI.create(mappings + "/" + outage.path("id").asString()))
              .DELETE()
              .build(),
          HttpResponse.BodyHandlers.discarding());
    }
  }

  private static JsonNode prometheus(String path) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(platform.prometheusUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  @Test
  void shouldEnforceBackwardCompatibilityInTheRegistry() throws Exception {
    String subjects =
        platform.registryBase() + "/apis/ccompat/v7/subjects/e2e.compat.v1-Thing/versions";
    String v1 =
        "{\"type\":\"record\",\"name\":\"Thing\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";
    String v2 =
        "{\"type\":\"record\",\"name\":\"Thing\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
            + "{\"name\":\"priority\",\"type\":\"int\"}]}";

    assertThat(register(subjects, v1).statusCode()).isEqualTo(200);
    HttpResponse<String> incompatible = register(subjects, v2);

    assertThat(incompatible.statusCode()).isEqualTo(409);
    assertThat(
            HTTP.send(
                    HttpRequest.newBuilder(
                            URI.create(platform.registryBase() + "/apis/ccompat/v7/config"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())
        .contains("BACKWARD");
  }

  private static HttpResponse<String> register(String url, String schema) throws Exception {
    String body = JSON.writeValueAsString(java.util.Map.of("schema", schema));
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldRefuseToStartTwiceOnTheSameDataFolder() {
    assertThatThrownBy(() -> Platform.start(PlatformConfig.isolated(dataDir)))
        .isInstanceOf(PlatformException.class)
        .hasMessageContaining("already running");
    assertThat(Http.status(platform.gatewayUrl() + "/actuator/health/readiness")).isEqualTo(200);
  }

  @Test
  void shouldAnswerASecondRunBeforeBuildingAndKeepTheRunningPlatformWhole() throws Exception {
    PlatformLayout layout = PlatformLayout.fromBuild();
    Path built = layout.serviceJar("notification-service");
    java.nio.file.attribute.FileTime builtAt = Files.getLastModifiedTime(built);
    ProcessBuilder second =
        new ProcessBuilder(layout.repositoryRoot().resolve("herald").toString(), "run")
            .directory(layout.repositoryRoot().toFile())
            .redirectErrorStream(true);
    second.environment().put("HERALD_HOME", dataDir.toAbsolutePath().toString());
    Process process = second.start();
    String output;
    try {
      assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS))
          .as("the second run ends by itself")
          .isTrue();
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      // Had it gone on to build and start, nothing of it may outlive the test.
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    assertThat(process.exitValue()).as(output).isEqualTo(1);
    assertThat(output).contains("already running").doesNotContain("Building");
    assertThat(Files.getLastModifiedTime(built)).as("the built jar").isEqualTo(builtAt);
    // The services run from copies in the data folder, which no build writes.
    assertThat(dataDir.resolve("services/notification-service.jar")).exists();
    List<JsonNode> items = new CopyOnWriteArrayList<>();
    try (InboxStream bob = stream(token("acme", "bob"), items)) {
      assertThat(bob.awaitConnected(Duration.ofSeconds(30))).isTrue();
      String title = "Still here " + java.util.UUID.randomUUID();
      sendAsAlice(
          "{\"recipients\":{\"userIds\":[\"bob\"]},\"channels\":[\"IN_APP\"],"
              + "\"category\":\"account\",\"title\":\""
              + title
              + "\",\"body\":\"After a second run\"}");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> items.stream().anyMatch(i -> title.equals(i.get("title").asString())));
    }
  }

  /** The providers that accepted a request carrying the trace id in its traceparent header. */
  private static List<String> providersOfTrace(String traceId) throws Exception {
    return JSON.readTree(Http.get(platform.simulatorsBase() + "/__admin/herald/traces/" + traceId))
        .valueStream()
        .map(JsonNode::asString)
        .toList();
  }

  /** A service's log lines (JSON, one per line) so far. */
  private static List<JsonNode> logLines(String service) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(dataDir.resolve("logs").resolve(service + ".log"))) {
      if (line.startsWith("{")) {
        try {
          lines.add(JSON.readTree(line));
        } catch (RuntimeException notJson) {
          // a line cut by a concurrent write
        }
      }
    }
    return lines;
  }

  private static String text(JsonNode line, String field) {
    JsonNode value = line.get(field);
    return value == null || value.isNull() ? null : value.asString();
  }

  private static String randomHex(int digits) {
    StringBuilder hex = new StringBuilder();
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    while (hex.length() < digits) {
      hex.append(Integer.toHexString(random.nextInt(16)));
    }
    return hex.toString();
  }

  /** POSTs a notification as alice (tenant acme); returns its request id once accepted. */
  private static String sendAsAlice(String json) throws Exception {
    HttpResponse<String> accepted =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + "/api/notifications"))
                .header("Authorization", "Bearer " + token("acme", "alice"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(accepted.statusCode()).isEqualTo(202);
    return JSON.readTree(accepted.body()).get("requestId").asString();
  }

  private static String get(String path, String token) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + path))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Messages GreenMail holds for an address; empty when it never received any. */
  private static List<JsonNode> mailbox(String address) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(platform.mailApiBase() + "/api/user/" + address + "/messages/INBOX"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    return body.isArray() ? List.copyOf(body.valueStream().toList()) : List.of();
  }

  private static InboxStream stream(String token, List<JsonNode> items) {
    return InboxStream.open(
        HTTP, platform.gatewayUrl(), token, (item, arrivedNanos) -> items.add(item));
  }

  private static String token(String tenant, String user) {
    return token(tenant, user, List.of(), List.of());
  }

  private static String token(String tenant, String user, List<String> roles, List<String> brands) {
    return new TokenIssuer(platform.jwtSecret(), Clock.systemUTC())
        .issue(new HeraldPrincipal(tenant, user, roles, brands), Duration.ofMinutes(10));
  }
}
