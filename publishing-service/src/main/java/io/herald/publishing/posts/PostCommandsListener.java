package io.herald.publishing.posts;

import io.herald.support.kafka.DeadLetters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Applies {@code content.approvals.v1} to the posts, a batch at a time: the batch's posts and its
 * already recorded event ids are read in one statement each, every event is applied in order in
 * memory (several events for one post in one batch see each other), and the changed posts and the
 * history entries are written in one transaction before the offsets are committed. A redelivered
 * event finds its id in the history and changes nothing; an event the post's state refuses is
 * recorded as refused and counted ({@code herald_publishing_posts_refused_total}); an undecodable
 * or contract-breaking record goes to {@code content.approvals.v1-dlt}.
 */
@Component
class PostCommandsListener {

  static final String ID = "publishing-posts";
  private static final Logger log = LoggerFactory.getLogger(PostCommandsListener.class);

  private final DataSource dataSource;
  private final PostStore store;
  private final DeadLetters deadLetters;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Counter applied;

  PostCommandsListener(
      DataSource dataSource,
      PostStore store,
      DeadLetters deadLetters,
      Clock clock,
      MeterRegistry meters) {
    this.dataSource = dataSource;
    this.store = store;
    this.deadLetters = deadLetters;
    this.clock = clock;
    this.meters = meters;
    this.applied =
        Counter.builder("herald.publishing.posts.applied")
            .description("Post events that changed a post")
            .register(meters);
  }

  @KafkaListener(
      id = ID,
      topics = "content.approvals.v1",
      groupId = "publishing-service",
      containerFactory = "publishingListenerFactory")
  void onPostEvents(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer)
      throws SQLException {
    List<PostCommand> commands = new ArrayList<>(records.size());
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(record, consumer, Object.class, false, v -> PostCommand.of(record.key(), v))
          .ifPresent(commands::add);
    }
    if (commands.isEmpty()) {
      return;
    }
    try (Connection connection = dataSource.getConnection()) {
      Set<String> seen =
          store.recorded(connection, commands.stream().map(PostCommand::eventId).toList());
      Map<PostStore.Key, Post> posts =
          store.load(
              connection,
              commands.stream()
                  .map(c -> new PostStore.Key(c.tenantId(), c.postId()))
                  .distinct()
                  .toList());
      Map<PostStore.Key, Post> changed = new LinkedHashMap<>();
      Map<String, PostHistoryEntry> entries = new LinkedHashMap<>();
      for (PostCommand command : commands) {
        if (seen.contains(command.eventId()) || entries.containsKey(command.eventId())) {
          continue;
        }
        PostStore.Key key = new PostStore.Key(command.tenantId(), command.postId());
        PostStateMachine.Result result =
            PostStateMachine.apply(posts.get(key), command, clock.instant());
        entries.put(command.eventId(), result.entry());
        if (result.applied()) {
          posts.put(key, result.post());
          changed.put(key, result.post());
          applied.increment();
        } else {
          log.info(
              "Refused {} {} of post {}: {}",
              command.type(),
              command.eventId(),
              command.postId(),
              result.entry().detail());
          meters.counter("herald.publishing.posts.refused", "type", command.type()).increment();
        }
      }
      store.save(connection, changed.values());
      store.record(connection, entries.values());
      connection.commit();
    }
  }
}
