package io.herald.publishing.posts;

import io.herald.publishing.jobs.JobState;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Moves posts along as their jobs run: publishing once a job starts, then published, partially
 * published or failed once every job is done. Each move is an entry in the post's history.
 */
@Component
public class PostProgress {

  private final PostStore posts;

  PostProgress(PostStore posts) {
    this.posts = posts;
  }

  /** The state a post's jobs add up to, or null while nothing says it should move. */
  static PostState summarize(List<JobState> jobs) {
    if (jobs.isEmpty()) {
      return null;
    }
    if (jobs.stream()
        .anyMatch(s -> s == JobState.PENDING || s == JobState.RUNNING || s == JobState.RETRYING)) {
      return PostState.PUBLISHING;
    }
    if (jobs.stream().allMatch(s -> s == JobState.SCHEDULED)) {
      return PostState.SCHEDULED;
    }
    long published = jobs.stream().filter(s -> s == JobState.PUBLISHED).count();
    long failed = jobs.stream().filter(s -> s == JobState.FAILED).count();
    if (jobs.stream().anyMatch(s -> s == JobState.SCHEDULED)) {
      return PostState.PUBLISHING;
    }
    if (published == 0 && failed == 0) {
      return PostState.CANCELLED;
    }
    if (failed == 0) {
      return PostState.PUBLISHED;
    }
    return published == 0 ? PostState.FAILED : PostState.PARTIALLY_PUBLISHED;
  }

  /** Applies the jobs' states to their posts, in the caller's transaction. */
  public void apply(Connection db, Map<PostStore.Key, List<JobState>> jobsByPost, Instant now)
      throws SQLException {
    Map<PostStore.Key, Post> current = posts.load(db, jobsByPost.keySet());
    Map<PostStore.Key, Post> changed = new LinkedHashMap<>();
    List<PostHistoryEntry> entries = new ArrayList<>();
    jobsByPost.forEach(
        (key, states) -> {
          Post post = current.get(key);
          PostState target = summarize(states);
          if (post == null || target == null || target == post.state()) {
            return;
          }
          Post moved = post.moved(target, null, post.reviewedBy(), now);
          changed.put(key, moved);
          entries.add(
              new PostHistoryEntry(
                  UUID.nameUUIDFromBytes(
                          (key.tenantId() + "|" + key.postId() + "|" + moved.version())
                              .getBytes(StandardCharsets.UTF_8))
                      .toString(),
                  key.tenantId(),
                  key.postId(),
                  "JobsProgressed",
                  "publishing-service",
                  PostHistoryEntry.Outcome.APPLIED,
                  post.state(),
                  target,
                  null,
                  now));
        });
    posts.save(db, changed.values());
    posts.record(db, entries);
  }
}
