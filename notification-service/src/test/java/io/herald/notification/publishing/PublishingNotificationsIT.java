package io.herald.notification.publishing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.events.v1.Audience;
import io.herald.events.v1.Channel;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentPublishFailed;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.InboxItemCreated;
import io.herald.events.v1.NotificationRequested;
import io.herald.events.v1.TemplateRef;
import io.herald.notification.ApiIntegrationTest;
import io.herald.support.testing.KafkaTestClients;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;

/**
 * Review decisions and publishing results as the people concerned see them: items in their inboxes,
 * rendered from the templates that ship with the service unless the tenant has its own, once per
 * event however often it is delivered.
 */
class PublishingNotificationsIT extends ApiIntegrationTest {

  private final String postId = UUID.randomUUID().toString();

  @Test
  void shouldTellTheAuthorOfAnApprovalOnceWithTheShippedTemplate() throws Exception {
    subscriberWithRoles("alice", "[]");
    ContentApproved approved = approved();

    produce("content.approvals.v1", approved, approved);

    List<InboxItemCreated> items = awaitInbox("alice", "content.approved", 1);
    assertThat(items.get(0).getTitle()).isEqualTo("Your post was approved");
    assertThat(items.get(0).getBody()).isEqualTo("rita approved “Spring sale: 20% off”. Nice");
    // A later event's notification is through: the duplicate was not sent again.
    produce("publishing.results.v1", published());
    awaitInbox("alice", "content.published", 1);
    assertThat(inbox("alice", "content.approved")).hasSize(1);
  }

  @Test
  void shouldTellTheAuthorAndTheBrandsPublishersOfAPublication() throws Exception {
    subscriberWithRoles("alice", "[]");
    subscriberWithRoles("paul", "[\"publisher:shoes\"]");
    subscriberWithRoles("mona", "[\"publisher:hats\"]");

    produce("publishing.results.v1", published());

    InboxItemCreated paul = awaitInbox("paul", "content.published", 1).get(0);
    assertThat(paul.getTitle()).isEqualTo("Published on X");
    assertThat(paul.getBody()).isEqualTo("“Spring sale: 20% off” is live on X.");
    awaitInbox("alice", "content.published", 1);
    assertThat(inbox("mona", "content.published")).isEmpty();
  }

  @Test
  void shouldTellTheBrandsAdminsOfFailedAttemptsAndTheFinalFailure() throws Exception {
    subscriberWithRoles("alice", "[]");
    subscriberWithRoles("ada", "[\"admin:shoes\"]");

    produce("publishing.results.v1", failed(1, false), failed(3, true));

    assertThat(awaitInbox("ada", "content.failed_to_post", 1).get(0).getBody())
        .isEqualTo(
            "Attempt 1 of “Spring sale: 20% off” failed (PLATFORM_UNAVAILABLE): Service Unavailable. It will be tried again.");
    assertThat(awaitInbox("ada", "job.failed", 1).get(0).getTitle())
        .isEqualTo("Publishing to X failed");
    awaitInbox("alice", "job.failed", 1);
  }

  @Test
  void shouldTellTheBrandsAdminsThatAConnectionExpiredWithTheShippedTemplate() throws Exception {
    subscriberWithRoles("ada", "[\"admin:shoes\"]");
    subscriberWithRoles("hal", "[\"admin:hats\"]");
    String requestId = UUID.randomUUID().toString();
    // As publishing-service asks for it when a platform refuses a token refresh for good.
    NotificationRequested expired =
        NotificationRequested.newBuilder()
            .setEventId(requestId)
            .setTenantId(tenant)
            .setOccurredAt(Instant.now())
            .setRequestId(requestId)
            .setRequestedBy("publishing-service")
            .setAudience(
                Audience.newBuilder()
                    .setUserIds(List.of())
                    .setRoles(List.of("admin:shoes"))
                    .build())
            .setChannels(List.of(Channel.IN_APP))
            .setCategory("connection.expired")
            .setTemplate(TemplateRef.newBuilder().setTemplateId("connection.expired").build())
            .setData(
                Map.of(
                    "platform", "X",
                    "account", "acmeshoes",
                    "reason", "the X token could not be refreshed (invalid_request)",
                    "failedJobs", "2"))
            .build();

    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      producer.send(new ProducerRecord<>("notification.requests.v1", requestId, expired)).get();
    }

    InboxItemCreated item = awaitInbox("ada", "connection.expired", 1).get(0);
    assertThat(item.getTitle()).isEqualTo("X account acmeshoes needs reconnecting");
    assertThat(item.getBody())
        .isEqualTo(
            "Herald can no longer publish to acmeshoes on X: the X token could not be refreshed"
                + " (invalid_request). Scheduled posts failed: 2.");
    assertThat(inbox("hal", "connection.expired")).isEmpty();
  }

  @Test
  void shouldUseTheTenantsOwnTemplateOverTheShippedOne() throws Exception {
    subscriberWithRoles("alice", "[]");
    api.call(
        HttpMethod.PUT,
        "/api/templates/content.approved/IN_APP/en",
        token("root", "admin"),
        "{\"parts\":{\"title\":\"Good to go\",\"body\":\"{{excerpt}} passed review\"},"
            + "\"sample\":{\"excerpt\":\"A post\"}}");

    produce("content.approvals.v1", approved());

    InboxItemCreated item = awaitInbox("alice", "content.approved", 1).get(0);
    assertThat(item.getTitle()).isEqualTo("Good to go");
    assertThat(item.getBody()).isEqualTo("Spring sale: 20% off passed review");
  }

  private void produce(String topic, SpecificRecord... values) throws Exception {
    try (KafkaProducer<String, Object> producer =
        KafkaTestClients.avroProducer(broker.getBrokersAsString())) {
      for (SpecificRecord value : values) {
        String key =
            value instanceof ContentApproved
                ? postId
                : String.valueOf(value.get(value.getSchema().getField("jobId").pos()));
        producer.send(new ProducerRecord<>(topic, key, value)).get();
      }
    }
  }

  private List<InboxItemCreated> awaitInbox(String user, String category, int count) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> inbox(user, category), items -> items.size() >= count);
  }

  private List<InboxItemCreated> inbox(String user, String category) {
    return KafkaTestClients.readAllValues(
        broker.getBrokersAsString(),
        "notification.inbox.v1",
        InboxItemCreated.class,
        e ->
            e.getTenantId().equals(tenant)
                && e.getUserId().equals(user)
                && e.getCategory().equals(category));
  }

  private void subscriberWithRoles(String user, String roles) {
    subscriber(user, "{\"email\":\"" + user + "@x.example\",\"roles\":" + roles + "}");
  }

  private String token(String user, String... roles) {
    return api.token(tenant, user, roles);
  }

  private ContentApproved approved() {
    return ContentApproved.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setPostId(postId)
        .setApprovedBy("rita")
        .setComment("Nice")
        .setBrandId("shoes")
        .setAuthorId("alice")
        .setExcerpt("Spring sale: 20% off")
        .build();
  }

  private ContentPublished published() {
    return ContentPublished.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setJobId(UUID.randomUUID().toString())
        .setPostId(postId)
        .setPlatform("X")
        .setPlatformPostId("1445880548472328192")
        .setUrl("https://x.com/acmeshoes/status/1445880548472328192")
        .setAttempt(1)
        .setBrandId("shoes")
        .setAuthorId("alice")
        .setExcerpt("Spring sale: 20% off")
        .build();
  }

  private ContentPublishFailed failed(int attempt, boolean last) {
    return ContentPublishFailed.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(tenant)
        .setOccurredAt(Instant.now())
        .setJobId("job-" + postId)
        .setPostId(postId)
        .setPlatform("X")
        .setAttempt(attempt)
        .setFinal$(last)
        .setErrorCode("PLATFORM_UNAVAILABLE")
        .setReason("Service Unavailable")
        .setBrandId("shoes")
        .setAuthorId("alice")
        .setExcerpt("Spring sale: 20% off")
        .build();
  }
}
