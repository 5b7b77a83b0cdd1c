package io.herald.publishing.posts;

import java.time.Instant;
import java.util.List;

/**
 * A post as publishing-service keeps it.
 *
 * @param reason why it was rejected, while it is rejected
 * @param version how many events have changed it
 */
public record Post(
    String tenantId,
    String postId,
    String brandId,
    String authorId,
    String text,
    List<String> mediaUrls,
    List<String> platforms,
    PostState state,
    String reason,
    String reviewedBy,
    int version,
    Instant createdAt,
    Instant updatedAt) {

  public Post {
    mediaUrls = List.copyOf(mediaUrls);
    platforms = List.copyOf(platforms);
  }

  Post withContent(String text, List<String> mediaUrls, List<String> platforms, Instant at) {
    return new Post(
        tenantId,
        postId,
        brandId,
        authorId,
        text,
        mediaUrls,
        platforms,
        PostState.DRAFT,
        null,
        null,
        version + 1,
        createdAt,
        at);
  }

  public Post moved(PostState to, String reason, String reviewedBy, Instant at) {
    return new Post(
        tenantId,
        postId,
        brandId,
        authorId,
        text,
        mediaUrls,
        platforms,
        to,
        reason,
        reviewedBy,
        version + 1,
        createdAt,
        at);
  }
}
