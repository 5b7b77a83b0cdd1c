package io.herald.publishing.posts;

import io.herald.publishing.web.BrandScope;
import io.herald.publishing.web.Cursor;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Reads of posts (the gateway routes them here): one post with the actions its state allows, a page
 * of the caller's brands' posts, several by id, and a post's history. A post of another tenant, or
 * of a brand the caller's token does not name, is answered as not found.
 */
@RestController
class PostController {

  static final int MAX_LIMIT = 100;

  private final PostReader posts;

  PostController(PostReader posts) {
    this.posts = posts;
  }

  @GetMapping(path = "/api/posts/{postId}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<PostView> one(HeraldPrincipal caller, @PathVariable String postId) {
    return posts
        .find(caller.tenantId(), BrandScope.of(caller), postId)
        .map(PostView::of)
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("no post " + postId)));
  }

  /**
   * {@code ?ids=a,b} lists those posts (unknown ones left out); otherwise a page, newest changed
   * first, narrowed by {@code brandId} and {@code state}, continued with {@code cursor}.
   */
  @GetMapping(path = "/api/posts", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Page> list(
      HeraldPrincipal caller,
      @RequestParam(name = "ids", required = false) List<String> ids,
      @RequestParam(name = "brandId", required = false) String brandId,
      @RequestParam(name = "state", required = false) String state,
      @RequestParam(name = "cursor", required = false) String cursor,
      @RequestParam(name = "limit", defaultValue = "20") int limit) {
    if (ids != null) {
      if (ids.size() > MAX_LIMIT) {
        throw Cursor.invalid("ids", "at most " + MAX_LIMIT + " ids at once");
      }
      return posts
          .findAll(caller.tenantId(), BrandScope.of(caller), ids)
          .map(PostView::of)
          .collectList()
          .map(items -> new Page(items, null));
    }
    PostState filter =
        state == null
            ? null
            : PostState.fromWire(state).orElseThrow(() -> Cursor.invalid("state", "unknown state"));
    int bounded = Math.max(1, Math.min(limit, MAX_LIMIT));
    return posts
        .page(caller.tenantId(), BrandScope.of(caller), brandId, filter, cursor(cursor), bounded)
        .map(PostView::of)
        .collectList()
        .map(
            items ->
                new Page(
                    items,
                    items.size() < bounded
                        ? null
                        : Cursor.of(
                                items.get(items.size() - 1).updatedAt(),
                                items.get(items.size() - 1).postId())
                            .encode()));
  }

  @GetMapping(path = "/api/posts/{postId}/history", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<History> history(HeraldPrincipal caller, @PathVariable String postId) {
    return one(caller, postId)
        .flatMap(post -> posts.history(caller.tenantId(), postId).collectList().map(History::new));
  }

  private static PostReader.Cursor cursor(String token) {
    Cursor cursor = Cursor.decode(token);
    return cursor == null ? null : new PostReader.Cursor(cursor.at(), cursor.id());
  }

  /** One page of posts; {@code nextCursor} is null on the last. */
  record Page(List<PostView> items, String nextCursor) {}

  record History(List<PostHistoryEntry> items) {}
}
