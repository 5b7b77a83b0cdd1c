package io.herald.publishing.posts;

import io.herald.events.catalog.TopicCatalog;
import io.herald.publishing.PublishingProperties;
import io.herald.publishing.connections.ConnectionStore;
import io.herald.publishing.connections.PlatformConnection;
import io.herald.publishing.jobs.Job;
import io.herald.publishing.jobs.JobState;
import io.herald.publishing.jobs.JobStore;
import io.herald.support.kafka.DeadLetters;
import io.herald.support.tracing.RecordTracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Applies {@code content.approvals.v1} and {@code publishing.requests.v1} to the posts, a batch at
 * a time (a publish request creates one job per connection, a cancellation cancels the jobs not yet
 * started, a retry makes a failed job due again): the batch's posts and its already recorded event
 * ids are read in one statement each, every event is applied in order in memory (several events for
 * one post in one batch see each other), and the changed posts and the history entries are written
 * in one transaction before the offsets are committed. A redelivered event finds its id in the
 * history and changes nothing; an event the post's state refuses is recorded as refused and counted
 * ({@code herald_publishing_posts_refused_total}); an undecodable or contract-breaking record goes
 * to its topic's {@code -dlt}.
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
  private final ConnectionStore connectionStore;
  private final JobStore jobs;
  private final PublishingProperties properties;
  private final RecordTracing tracing;

  PostCommandsListener(
      DataSource dataSource,
      PostStore store,
      ConnectionStore connectionStore,
      JobStore jobs,
      PublishingProperties properties,
      DeadLetters deadLetters,
      Clock clock,
      MeterRegistry meters,
      RecordTracing tracing) {
    this.dataSource = dataSource;
    this.store = store;
    this.connectionStore = connectionStore;
    this.jobs = jobs;
    this.properties = properties;
    this.deadLetters = deadLetters;
    this.clock = clock;
    this.meters = meters;
    this.tracing = tracing;
    this.applied =
        Counter.builder("herald.publishing.posts.applied")
            .description("Post events that changed a post")
            .register(meters);
  }

  @KafkaListener(
      id = ID,
      topics = {TopicCatalog.Names.CONTENT_APPROVALS, TopicCatalog.Names.PUBLISHING_REQUESTS},
      groupId = "publishing-service",
      containerFactory = "publishingListenerFactory")
  void onPostEvents(List<ConsumerRecord<String, Object>> records, Consumer<?, ?> consumer)
      throws SQLException {
    List<PostCommand> commands = new ArrayList<>(records.size());
    Map<PostCommand, Span> spans = new IdentityHashMap<>();
    for (ConsumerRecord<String, Object> record : records) {
      deadLetters
          .attempt(record, consumer, Object.class, false, v -> PostCommand.of(record.key(), v))
          .ifPresent(
              command -> {
                commands.add(command);
                spans.put(command, tracing.start("post command", record));
              });
    }
    if (commands.isEmpty()) {
      return;
    }
    try {
      apply(commands, spans);
    } catch (SQLException | RuntimeException e) {
      spans.values().forEach(span -> span.error(e).end());
      throw e;
    }
    for (PostCommand command : commands) {
      if (log.isDebugEnabled()) {
        try (Tracer.SpanInScope scope = tracing.inScope(spans.get(command))) {
          log.atDebug()
              .addKeyValue("tenant", command.tenantId())
              .addKeyValue("postId", command.postId())
              .addKeyValue("eventId", command.eventId())
              .log("Applied {} {} to post {}", command.type(), command.eventId(), command.postId());
        }
      }
      spans.get(command).end();
    }
  }

  private void apply(List<PostCommand> commands, Map<PostCommand, Span> spans) throws SQLException {
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
      Map<ConnectionStore.Key, PlatformConnection> connections =
          connectionStore.load(
              connection,
              commands.stream()
                  .filter(c -> c.action() == PostAction.PUBLISH)
                  .flatMap(
                      c ->
                          c.connectionIds().stream()
                              .map(id -> new ConnectionStore.Key(c.tenantId(), id)))
                  .distinct()
                  .toList());
      Map<String, Job> retried =
          jobs.find(
              connection,
              commands.stream()
                  .filter(c -> c.action() == PostAction.RETRY)
                  .map(PostCommand::jobId)
                  .toList());
      Instant now = clock.instant();
      Map<PostStore.Key, Post> changed = new LinkedHashMap<>();
      Map<String, PostHistoryEntry> entries = new LinkedHashMap<>();
      List<Job> newJobs = new ArrayList<>();
      List<PostStore.Key> cancelled = new ArrayList<>();
      List<String> retries = new ArrayList<>();
      for (PostCommand command : commands) {
        if (seen.contains(command.eventId()) || entries.containsKey(command.eventId())) {
          continue;
        }
        PostStore.Key key = new PostStore.Key(command.tenantId(), command.postId());
        Post current = posts.get(key);
        String refusal = refusal(current, command, connections, retried);
        PostStateMachine.Result result =
            refusal == null
                ? PostStateMachine.apply(current, command, now)
                : PostStateMachine.refused(current, command, refusal);
        entries.put(command.eventId(), result.entry());
        if (!result.applied()) {
          log.info(
              "Refused {} {} of post {}: {}",
              command.type(),
              command.eventId(),
              command.postId(),
              result.entry().detail());
          meters.counter("herald.publishing.posts.refused", "type", command.type()).increment();
          continue;
        }
        posts.put(key, result.post());
        changed.put(key, result.post());
        applied.increment();
        switch (command.action() == null ? PostAction.UPDATE : command.action()) {
          case PUBLISH ->
              newJobs.addAll(
                  jobsFor(
                      result.post(),
                      command,
                      connections,
                      now,
                      tracing.traceParent(spans.get(command))));
          case CANCEL -> cancelled.add(new PostStore.Key(command.tenantId(), command.postId()));
          case RETRY -> retries.add(command.jobId());
          default -> {
            // content and review events have no jobs
          }
        }
      }
      store.save(connection, changed.values());
      store.record(connection, entries.values());
      jobs.insert(connection, newJobs);
      jobs.cancelWaiting(connection, cancelled);
      jobs.retry(connection, retries, now, properties.jobs().maxAttempts());
      connection.commit();
    }
  }

  /** Why a publish or retry cannot apply beyond what the post's state says; null when it can. */
  private static String refusal(
      Post post,
      PostCommand command,
      Map<ConnectionStore.Key, PlatformConnection> connections,
      Map<String, Job> jobs) {
    if (post == null || command.action() == null || !command.action().allowedFrom(post.state())) {
      return null; // the state machine refuses it, naming the state
    }
    if (command.action() == PostAction.PUBLISH) {
      for (String id : command.connectionIds()) {
        PlatformConnection c = connections.get(new ConnectionStore.Key(command.tenantId(), id));
        if (c == null || !c.brandId().equals(post.brandId())) {
          return "no connection " + id + " for brand " + post.brandId();
        }
        if (!"connected".equals(c.status())) {
          return "connection " + id + " is " + c.status() + "; reconnect it first";
        }
        if (!post.platforms().contains(c.platform())) {
          return "connection " + id + " is on " + c.platform() + ", which the post does not target";
        }
      }
    }
    if (command.action() == PostAction.RETRY) {
      Job job = jobs.get(command.jobId());
      if (job == null
          || !job.tenantId().equals(command.tenantId())
          || !job.postId().equals(command.postId())) {
        return "no job " + command.jobId() + " of post " + command.postId();
      }
      if (job.state() != JobState.FAILED) {
        return "job "
            + command.jobId()
            + " is "
            + job.state().wire()
            + "; only a failed job can be retried";
      }
    }
    return null;
  }

  private List<Job> jobsFor(
      Post post,
      PostCommand command,
      Map<ConnectionStore.Key, PlatformConnection> connections,
      Instant now,
      String traceParent) {
    boolean later = command.scheduledAt() != null && command.scheduledAt().isAfter(now);
    return command.connectionIds().stream()
        .distinct()
        .map(
            id ->
                new Job(
                    UUID.nameUUIDFromBytes(
                            (command.eventId() + "|" + id).getBytes(StandardCharsets.UTF_8))
                        .toString(),
                    post.tenantId(),
                    post.postId(),
                    post.brandId(),
                    id,
                    connections.get(new ConnectionStore.Key(post.tenantId(), id)).platform(),
                    later ? JobState.SCHEDULED : JobState.PENDING,
                    later ? command.scheduledAt() : now,
                    0,
                    properties.jobs().maxAttempts(),
                    command.actor(),
                    null,
                    traceParent))
        .toList();
  }
}
