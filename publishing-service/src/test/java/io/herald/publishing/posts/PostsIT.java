package io.herald.publishing.posts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentRejected;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PostUpdated;
import io.herald.publishing.PublishingIntegrationTest;
import io.herald.support.testing.KafkaTestClients;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.ResponseEntity;

/** The approval state machine as the topics drive it and the API shows it. */
class PostsIT extends PublishingIntegrationTest {

  private static final String TOPIC = "content.approvals.v1";

  @Autowired private MeterRegistry meters;

  private final String brand = "brand-" + UUID.randomUUID();
  private final String reader = token("rita", List.of("approver"), List.of(brand));

  @Test
  void shouldTakeAPostFromDraftThroughApproval() throws Exception {
    String postId = UUID.randomUUID().toString();

    produce(TOPIC, postId, created(postId, "Spring sale!"));
    Map<String, Object> draft = awaitPost(postId, "draft");
    assertThat(draft)
        .containsEntry("brandId", brand)
        .containsEntry("authorId", "alice")
        .containsEntry("text", "Spring sale!")
        .containsEntry("platforms", List.of("X", "LINKEDIN"))
        .containsEntry("version", 1)
        .containsEntry("actions", List.of("update", "submit"));

    produce(TOPIC, postId, submitted(postId));
    awaitPost(postId, "pending_approval");
    produce(TOPIC, postId, approved(postId));

    Map<String, Object> approved = awaitPost(postId, "approved");
    assertThat(approved)
        .containsEntry("reviewedBy", "rita")
        .containsEntry("version", 3)
        .containsEntry("actions", List.of("publish"));
    assertThat(history(postId))
        .extracting(e -> e.get("type") + ":" + e.get("outcome") + ":" + e.get("toState"))
        .containsExactly(
            "PostCreated:applied:draft",
            "PostSubmitted:applied:pending_approval",
            "ContentApproved:applied:approved");
  }

  @Test
  void shouldSendARejectedPostBackToDraftWhenItIsEdited() throws Exception {
    String postId = UUID.randomUUID().toString();

    produce(
        TOPIC,
        postId,
        created(postId, "First try"),
        submitted(postId),
        rejected(postId, "Wrong product name"));

    Map<String, Object> rejected = awaitPost(postId, "rejected");
    assertThat(rejected)
        .containsEntry("reason", "Wrong product name")
        .containsEntry("actions", List.of("update"));

    produce(TOPIC, postId, updated(postId, "Second try"), submitted(postId));

    Map<String, Object> pending = awaitPost(postId, "pending_approval");
    assertThat(pending).containsEntry("text", "Second try").containsEntry("reason", null);
  }

  @Test
  void shouldRecordAndCountARefusedTransitionAndGoOn() throws Exception {
    String postId = UUID.randomUUID().toString();
    double before = refused("ContentApproved");

    // Approving a draft is refused; the submission after it still applies.
    produce(TOPIC, postId, created(postId, "Too early"), approved(postId), submitted(postId));

    awaitPost(postId, "pending_approval");
    assertThat(history(postId))
        .extracting(e -> e.get("type") + ":" + e.get("outcome") + ":" + e.get("detail"))
        .containsExactly(
            "PostCreated:applied:null",
            "ContentApproved:refused:post is draft; only a pending_approval post can be approved",
            "PostSubmitted:applied:null");
    assertThat(refused("ContentApproved")).isEqualTo(before + 1);
  }

  @Test
  void shouldChangeNothingWhenAnEventIsDeliveredAgain() throws Exception {
    String postId = UUID.randomUUID().toString();
    PostSubmitted submission = submitted(postId);

    produce(TOPIC, postId, created(postId, "Once"), submission, submission);
    // A marker after the duplicate: once it is applied, the duplicate has been consumed.
    produce(TOPIC, postId, approved(postId));

    Map<String, Object> approved = awaitPost(postId, "approved");
    assertThat(approved).containsEntry("version", 3);
    assertThat(history(postId)).hasSize(3);

    // Delivered again in a later batch, after the post moved on; then a marker that is refused.
    produce(TOPIC, postId, submission, approved(postId));
    await().atMost(Duration.ofSeconds(30)).until(() -> history(postId).size() == 4);
    assertThat(history(postId))
        .extracting(e -> e.get("type") + ":" + e.get("outcome"))
        .containsExactly(
            "PostCreated:applied",
            "PostSubmitted:applied",
            "ContentApproved:applied",
            "ContentApproved:refused");
    assertThat(get("/api/posts/" + postId, reader).getBody()).containsEntry("version", 3);
  }

  @Test
  void shouldDeadLetterARecordThatBreaksTheContractAndGoOn() throws Exception {
    String postId = UUID.randomUUID().toString();
    String other = UUID.randomUUID().toString();

    // Keyed by another post's id: refused as a whole, to the dead-letter topic.
    produce(TOPIC, other, created(postId, "Mis-keyed"));
    produce(TOPIC, postId, created(postId, "Well keyed"));

    awaitPost(postId, "draft");
    ConsumerRecord<String, byte[]> dead =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    KafkaTestClients.readAll(broker.getBrokersAsString(), TOPIC + "-dlt").stream()
                        .filter(r -> other.equals(r.key()))
                        .findFirst(),
                java.util.Optional::isPresent)
            .orElseThrow();
    assertThat(header(dead, "kafka_dlt-exception-message")).contains("is not the event's postId");
    assertThat(header(dead, "kafka_dlt-original-topic")).isEqualTo(TOPIC);
  }

  @Test
  void shouldShowPostsOnlyWithinTheCallersTenantAndBrands() throws Exception {
    String postId = UUID.randomUUID().toString();
    produce(TOPIC, postId, created(postId, "Ours"));
    awaitPost(postId, "draft");

    String otherBrand = token("olga", List.of("approver"), List.of("brand-other"));
    String otherTenant =
        io.herald.support.testing.TestTokens.issue(
            SECRET, "t-" + UUID.randomUUID(), "mallory", List.of("admin"), List.of("*"));
    String allBrands = token("root", List.of("admin"), List.of("*"));

    assertThat(get("/api/posts/" + postId, otherBrand).getStatusCode().value()).isEqualTo(404);
    assertThat(get("/api/posts/" + postId, otherTenant).getStatusCode().value()).isEqualTo(404);
    assertThat(get("/api/posts/" + postId + "/history", otherBrand).getStatusCode().value())
        .isEqualTo(404);
    assertThat(items(get("/api/posts", otherBrand))).isEmpty();
    assertThat(items(get("/api/posts?ids=" + postId, otherTenant))).isEmpty();
    assertThat(get("/api/posts/" + postId, allBrands).getStatusCode().value()).isEqualTo(200);
    ResponseEntity<Map<String, Object>> missing = get("/api/posts/" + postId, otherBrand);
    assertThat(missing.getHeaders().getContentType()).hasToString("application/problem+json");
    assertThat(missing.getBody()).containsEntry("type", "https://herald.dev/problems/not-found");
  }

  @Test
  void shouldPageThroughABrandsPostsWithoutGapsOrRepeats() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String postId = UUID.randomUUID().toString();
      ids.add(postId);
      produce(TOPIC, postId, created(postId, "Post " + i));
    }
    for (String id : ids) {
      awaitPost(id, "draft");
    }

    List<Object> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      ResponseEntity<Map<String, Object>> page =
          get(
              "/api/posts?limit=2&brandId=" + brand + (cursor == null ? "" : "&cursor=" + cursor),
              reader);
      items(page).forEach(item -> seen.add(item.get("postId")));
      cursor = (String) page.getBody().get("nextCursor");
      pages++;
    } while (cursor != null && pages < 10);

    assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids);
    assertThat(pages).isEqualTo(3);
    assertThat(items(get("/api/posts?state=approved&brandId=" + brand, reader))).isEmpty();
    assertThat(get("/api/posts?state=sideways", reader).getStatusCode().value()).isEqualTo(400);
    assertThat(get("/api/posts?cursor=garbage", reader).getStatusCode().value()).isEqualTo(400);
  }

  private Map<String, Object> awaitPost(String postId, String state) {
    return awaitPost(postId, state, reader);
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> history(String postId) {
    return (List<Map<String, Object>>)
        get("/api/posts/" + postId + "/history", reader).getBody().get("items");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> items(ResponseEntity<Map<String, Object>> page) {
    assertThat(page.getStatusCode().value()).isEqualTo(200);
    return (List<Map<String, Object>>) page.getBody().get("items");
  }

  private double refused(String type) {
    var counter = meters.find("herald.publishing.posts.refused").tag("type", type).counter();
    return counter == null ? 0 : counter.count();
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private PostCreated created(String postId, String text) {
    return PostCreated.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setBrandId(brand)
        .setAuthorId("alice")
        .setText(text)
        .setMediaUrls(List.of())
        .setPlatforms(List.of("X", "LINKEDIN"))
        .build();
  }

  private PostUpdated updated(String postId, String text) {
    return PostUpdated.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setUpdatedBy("alice")
        .setText(text)
        .setMediaUrls(List.of("https://cdn.example/sale.png"))
        .setPlatforms(List.of("X"))
        .build();
  }

  private PostSubmitted submitted(String postId) {
    return PostSubmitted.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setSubmittedBy("alice")
        .build();
  }

  private ContentApproved approved(String postId) {
    return ContentApproved.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setApprovedBy("rita")
        .setBrandId(brand)
        .setAuthorId("alice")
        .build();
  }

  private ContentRejected rejected(String postId, String reason) {
    return ContentRejected.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setRejectedBy("rita")
        .setReason(reason)
        .build();
  }

  @Test
  void shouldConsumeExactlyTheTopicsTheCatalogNamesForIt(
      @Autowired org.springframework.kafka.config.KafkaListenerEndpointRegistry listeners) {
    assertThat(io.herald.support.testing.ListenerTopics.of(listeners))
        .isEqualTo(
            io.herald.events.catalog.TopicCatalog.consumedBy(
                io.herald.events.catalog.TopicCatalog.PUBLISHING));
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
                "publishing-service",
                io.herald.support.testing.OpenApiDrift.heraldHandlers()))
        .isEmpty();
  }
}
