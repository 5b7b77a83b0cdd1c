package io.herald.gateway.posts;

import io.herald.gateway.routing.Upstream;
import io.herald.support.web.ApiException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;

/**
 * Reads the posts a command is about from publishing-service, with the caller's own token (so a
 * post of another tenant or brand is not found), to check the command against the post's state and
 * owner before it becomes an event.
 */
@Component
class PostLookup {

  /** What a command needs to know of a post. */
  record PostSnapshot(
      String postId,
      String brandId,
      String authorId,
      String text,
      String state,
      List<String> actions) {}

  /** What a retry needs to know of a job. */
  record JobSnapshot(String jobId, String postId, String state, String platform) {}

  private record Page(List<PostSnapshot> items) {}

  private final Upstream publishing;

  PostLookup(Upstream publishingService) {
    this.publishing = publishingService;
  }

  /** The post, or a 404 problem. */
  Mono<PostSnapshot> find(String authorization, String postId) {
    return findAll(authorization, List.of(postId))
        .flatMap(
            found ->
                found.containsKey(postId)
                    ? Mono.just(found.get(postId))
                    : Mono.error(ApiException.notFound("no post " + postId)));
  }

  /** The posts among {@code postIds} the caller may see, by id. */
  Mono<Map<String, PostSnapshot>> findAll(String authorization, List<String> postIds) {
    return publishing
        .client()
        .get()
        .uri(uri -> uri.path("/api/posts").queryParam("ids", String.join(",", postIds)).build())
        .header(HttpHeaders.AUTHORIZATION, authorization)
        .accept(MediaType.APPLICATION_JSON)
        .retrieve()
        .bodyToMono(Page.class)
        .map(
            page ->
                page.items().stream()
                    .collect(Collectors.toMap(PostSnapshot::postId, Function.identity())))
        .onErrorMap(WebClientRequestException.class, e -> unavailable())
        .onErrorMap(
            WebClientResponseException.class,
            e -> e.getStatusCode().is5xxServerError() ? unavailable() : e);
  }

  /** The job, or a 404 problem. */
  Mono<JobSnapshot> job(String authorization, String jobId) {
    return publishing
        .client()
        .get()
        .uri(uri -> uri.path("/api/jobs/{id}").build(jobId))
        .header(HttpHeaders.AUTHORIZATION, authorization)
        .accept(MediaType.APPLICATION_JSON)
        .retrieve()
        .bodyToMono(JobSnapshot.class)
        .onErrorMap(WebClientRequestException.class, e -> unavailable())
        .onErrorMap(
            WebClientResponseException.class,
            e ->
                e.getStatusCode().value() == 404
                    ? ApiException.notFound("no job " + jobId)
                    : e.getStatusCode().is5xxServerError() ? unavailable() : e);
  }

  private ApiException unavailable() {
    return new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE,
        "upstream-unavailable",
        publishing.name() + " is not reachable to check the post; try again shortly.",
        List.of());
  }
}
