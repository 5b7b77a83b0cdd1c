package io.herald.events.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.events.v1.NotificationRequested;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopicCatalogTest {

  @Test
  void shouldListEveryTopicOfTheDesignOnce() {
    Set<String> names = TopicCatalog.ALL.stream().map(TopicSpec::name).collect(Collectors.toSet());

    assertThat(names)
        .hasSize(TopicCatalog.ALL.size())
        .containsExactlyInAnyOrder(
            "content.approvals.v1",
            "publishing.requests.v1",
            "publishing.results.v1",
            "notification.requests.v1",
            "notification.email.v1",
            "notification.whatsapp.v1",
            "notification.push.v1",
            "notification.delivery-status.v1",
            "notification.inbox.v1",
            "notification.subscribers.v1",
            "notification.fanout-chunks.v1");
  }

  @Test
  void shouldGiveEveryEventTypeExactlyOneTopic() {
    List<Class<?>> types =
        TopicCatalog.ALL.stream().flatMap(t -> t.valueTypes().stream()).collect(toList());

    assertThat(types).doesNotHaveDuplicates().hasSize(28);
  }

  @Test
  void shouldFindTopicsByOwnerAndName() {
    assertThat(TopicCatalog.ownedBy(Owner.GATEWAY_SERVICE))
        .extracting(TopicSpec::name)
        .containsExactly(
            "content.approvals.v1", "publishing.requests.v1", "notification.requests.v1");
    assertThat(TopicCatalog.byName("notification.requests.v1"))
        .hasValueSatisfying(t -> assertThat(t.carries(NotificationRequested.class)).isTrue());
    assertThat(TopicCatalog.NOTIFICATION_REQUESTS.deadLetterTopic())
        .isEqualTo("notification.requests.v1-dlt");
  }

  @Test
  void shouldRejectTopicWithoutValueTypes() {
    assertThatThrownBy(
            () ->
                new TopicSpec(
                    "x.v1",
                    KeyType.USER_ID,
                    List.of(),
                    1,
                    Duration.ofDays(1),
                    CleanupPolicy.DELETE,
                    Owner.NOTIFICATION_SERVICE))
        .hasMessageContaining("at least one value type");
  }

  private static <T> java.util.stream.Collector<T, ?, List<T>> toList() {
    return Collectors.toList();
  }
}
