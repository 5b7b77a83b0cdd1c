package io.herald.support.testing;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;

/**
 * The topics a running service consumes, read from its listener containers, to compare with what
 * the topic catalog says it consumes.
 *
 * <p>Example: {@code assertThat(ListenerTopics.of(listeners))
 * .isEqualTo(TopicCatalog.consumedBy(TopicCatalog.NOTIFICATION))}.
 */
public final class ListenerTopics {

  private ListenerTopics() {}

  public static Set<String> of(KafkaListenerEndpointRegistry listeners) {
    Set<String> topics = new TreeSet<>();
    listeners
        .getListenerContainers()
        .forEach(
            container -> {
              String[] names = container.getContainerProperties().getTopics();
              if (names != null) {
                topics.addAll(List.of(names));
              }
            });
    return topics;
  }
}
