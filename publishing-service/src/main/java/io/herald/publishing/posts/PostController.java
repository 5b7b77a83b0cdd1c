package io.herald.publishing.posts;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
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
        .find(caller.tenantId(), brands(caller), postId)
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
        throw invalid("ids", "at most " + MAX_LIMIT + " ids at once");
      }
      return posts
          .findAll(caller.tenantId(), brands(caller), ids)
          .map(PostView::of)
          .collectList()
          .map(items -> new Page(items, null));
    }
    PostState filter =
        state == null
            ? null
            : PostState.fromWire(state).orElseThrow(() -> invalid("state", "unknown state"));
    int bounded = Math.max(1, Math.min(limit, MAX_LIMIT));
    return posts
        .page(caller.tenantId(), brands(caller), brandId, filter, decode(cursor), bounded)
        .map(PostView::of)
        .collectList()
        .map(
            items ->
                new Page(
                    items, items.size() < bounded ? null : encode(items.get(items.size() - 1))));
  }

  @GetMapping(path = "/api/posts/{postId}/history", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<History> history(HeraldPrincipal caller, @PathVariable String postId) {
    return one(caller, postId)
        .flatMap(post -> posts.history(caller.tenantId(), postId).collectList().map(History::new));
  }

  /** One page of posts; {@code nextCursor} is null on the last. */
  record Page(List<PostView> items, String nextCursor) {}

  record History(List<PostHistoryEntry> items) {}

  /** The caller's brands, or null when the token grants all of the tenant's. */
  private static List<String> brands(HeraldPrincipal caller) {
    return caller.brands().contains(HeraldPrincipal.ALL_BRANDS) ? null : caller.brands();
  }

  private static String encode(PostView last) {
    Instant at = last.updatedAt();
    String raw = at.getEpochSecond() + "." + at.getNano() + "|" + last.postId();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static PostReader.Cursor decode(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int bar = raw.indexOf('|');
      long[] time =
          Arrays.stream(raw.substring(0, bar).split("\\.")).mapToLong(Long::parseLong).toArray();
      return new PostReader.Cursor(Instant.ofEpochSecond(time[0], time[1]), raw.substring(bar + 1));
    } catch (RuntimeException e) {
      throw invalid("cursor", "not a cursor this API gave out");
    }
  }

  private static ApiException invalid(String field, String message) {
    return new ApiException(
        HttpStatus.BAD_REQUEST,
        "validation-failed",
        "The request is not valid.",
        List.of(Map.of("field", field, "message", message)));
  }
}
