package io.herald.publishing.posts;

import java.time.Instant;
import java.util.List;

/**
 * A post as the API shows it, with the actions its state allows ({@code update}, {@code submit},
 * …): the gateway refuses a command whose action is not among them with a 409 naming the state.
 */
record PostView(
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
    Instant updatedAt,
    List<PostAction> actions) {

  static PostView of(Post post) {
    return new PostView(
        post.postId(),
        post.brandId(),
        post.authorId(),
        post.text(),
        post.mediaUrls(),
        post.platforms(),
        post.state(),
        post.reason(),
        post.reviewedBy(),
        post.version(),
        post.createdAt(),
        post.updatedAt(),
        PostAction.allowedIn(post.state()));
  }
}
