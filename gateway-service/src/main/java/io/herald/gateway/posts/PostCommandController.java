package io.herald.gateway.posts;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.catalog.TopicSpec;
import io.herald.events.v1.ContentApproved;
import io.herald.events.v1.ContentRejected;
import io.herald.events.v1.PostCreated;
import io.herald.events.v1.PostSubmitted;
import io.herald.events.v1.PostUpdated;
import io.herald.events.v1.PublishCancelRequested;
import io.herald.events.v1.PublishRequested;
import io.herald.events.v1.PublishRetryRequested;
import io.herald.gateway.commands.CommandPublisher;
import io.herald.gateway.commands.IdempotencyKeys;
import io.herald.gateway.posts.PostLookup.PostSnapshot;
import io.herald.support.events.Excerpt;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import io.herald.support.web.Problems;
import jakarta.validation.Valid;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Post commands: create, update and submit a post ({@code author}, own posts; {@code admin}),
 * approve or reject one or many ({@code approver}, not one's own post; {@code admin}), publish now
 * or at a time, cancel a scheduled one, retry a failed job ({@code publisher}, {@code approver},
 * {@code admin}). Each is checked against the post as publishing-service has it — 404 for a post
 * the caller may not see, 409 {@code invalid-transition} naming the post's state when its state
 * does not allow the command — and then becomes an event on {@code content.approvals.v1} or {@code
 * publishing.requests.v1} (key postId), answered with {@code 202} and the post id. Brands come from
 * the token's {@code brands} claim.
 *
 * <p>publishing-service applies the events in order per post and checks the state again, so two
 * commands racing on one post cannot both apply; the loser is recorded in the post's history.
 */
@RestController
class PostCommandController {

  static final String AUTHOR = "author";
  static final String APPROVER = "approver";
  static final String ADMIN = "admin";
  static final String PUBLISHER = "publisher";

  /** Answer to a post command: the post's id. */
  record PostAccepted(String postId, String status) {
    static PostAccepted of(String postId) {
      return new PostAccepted(postId, "ACCEPTED");
    }
  }

  /** One decision's outcome in a bulk approval: 202, or the problem that refused it. */
  record DecisionResult(
      String postId, int status, String type, String detail, String currentState) {}

  private final PostLookup posts;
  private final CommandPublisher publisher;
  private final Clock clock = Clock.systemUTC();

  PostCommandController(PostLookup posts, CommandPublisher publisher) {
    this.posts = posts;
    this.publisher = publisher;
  }

  @PostMapping(path = "/api/posts", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<PostAccepted>> create(
      @Valid @RequestBody PostRequests.Create request,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      HeraldPrincipal caller) {
    IdempotencyKeys.check(idempotencyKey);
    requireRole(caller, "create posts", AUTHOR, ADMIN);
    if (!caller.mayActFor(request.brandId())) {
      throw ApiException.forbidden(
          "your token does not let you act for brand " + request.brandId());
    }
    String postId = IdempotencyKeys.id(caller, idempotencyKey);
    PostCreated event =
        PostCreated.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTenantId(caller.tenantId())
            .setOccurredAt(clock.instant())
            .setPostId(postId)
            .setBrandId(request.brandId())
            .setAuthorId(caller.userId())
            .setText(request.text())
            .setMediaUrls(distinct(request.mediaUrls()))
            .setPlatforms(distinct(request.platforms()))
            .build();
    return accepted(postId, event);
  }

  @PutMapping(path = "/api/posts/{postId}", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<PostAccepted>> update(
      @PathVariable String postId,
      @Valid @RequestBody PostRequests.Update request,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "edit posts", AUTHOR, ADMIN);
    return posts
        .find(authorization, postId)
        .flatMap(
            post -> {
              requireOwnerOrAdmin(caller, post, "edit");
              requireAction(post, "update", "updated");
              return accepted(
                  postId,
                  PostUpdated.newBuilder()
                      .setEventId(UUID.randomUUID().toString())
                      .setTenantId(caller.tenantId())
                      .setOccurredAt(clock.instant())
                      .setPostId(postId)
                      .setUpdatedBy(caller.userId())
                      .setText(request.text())
                      .setMediaUrls(distinct(request.mediaUrls()))
                      .setPlatforms(distinct(request.platforms()))
                      .build());
            });
  }

  @PostMapping("/api/posts/{postId}/submit")
  Mono<ResponseEntity<PostAccepted>> submit(
      @PathVariable String postId,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "submit posts", AUTHOR, ADMIN);
    return posts
        .find(authorization, postId)
        .flatMap(
            post -> {
              requireOwnerOrAdmin(caller, post, "submit");
              requireAction(post, "submit", "submitted");
              return accepted(
                  postId,
                  PostSubmitted.newBuilder()
                      .setEventId(UUID.randomUUID().toString())
                      .setTenantId(caller.tenantId())
                      .setOccurredAt(clock.instant())
                      .setPostId(postId)
                      .setSubmittedBy(caller.userId())
                      .build());
            });
  }

  @PostMapping("/api/posts/{postId}/approve")
  Mono<ResponseEntity<PostAccepted>> approve(
      @PathVariable String postId,
      @Valid @RequestBody(required = false) PostRequests.Approve request,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "approve posts", APPROVER, ADMIN);
    String comment = request == null ? null : request.comment();
    return posts
        .find(authorization, postId)
        .flatMap(post -> accepted(postId, review(caller, post, "approve", comment)));
  }

  @PostMapping(path = "/api/posts/{postId}/reject", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<PostAccepted>> reject(
      @PathVariable String postId,
      @Valid @RequestBody PostRequests.Reject request,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "reject posts", APPROVER, ADMIN);
    return posts
        .find(authorization, postId)
        .flatMap(post -> accepted(postId, review(caller, post, "reject", request.reason())));
  }

  /**
   * Publishes an approved post to the given connections, now or at {@code scheduledAt} (at most a
   * year ahead): one job per connection.
   */
  @PostMapping(path = "/api/posts/{postId}/publish", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<PostAccepted>> publish(
      @PathVariable String postId,
      @Valid @RequestBody PostRequests.Publish request,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "publish posts", PUBLISHER, APPROVER, ADMIN);
    Instant now = clock.instant();
    if (request.scheduledAt() != null) {
      if (request.scheduledAt().isBefore(now.minusSeconds(60))) {
        throw ApiException.invalid(
            List.of(Map.of("field", "scheduledAt", "message", "scheduledAt is in the past")));
      }
      if (request.scheduledAt().isAfter(now.plus(Duration.ofDays(366)))) {
        throw ApiException.invalid(
            List.of(
                Map.of(
                    "field", "scheduledAt", "message", "scheduledAt is more than a year ahead")));
      }
    }
    return posts
        .find(authorization, postId)
        .flatMap(
            post -> {
              requireAction(post, "publish", "published");
              return accepted(
                  postId,
                  PublishRequested.newBuilder()
                      .setEventId(UUID.randomUUID().toString())
                      .setTenantId(caller.tenantId())
                      .setOccurredAt(now)
                      .setPostId(postId)
                      .setRequestedBy(caller.userId())
                      .setPlatforms(distinct(request.connectionIds()))
                      .setScheduledAt(request.scheduledAt())
                      .build());
            });
  }

  /** Cancels a scheduled post: its jobs that have not started never run. */
  @PostMapping("/api/posts/{postId}/cancel")
  Mono<ResponseEntity<PostAccepted>> cancel(
      @PathVariable String postId,
      @Valid @RequestBody(required = false) PostRequests.Cancel request,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "cancel publishing", PUBLISHER, APPROVER, ADMIN);
    return posts
        .find(authorization, postId)
        .flatMap(
            post -> {
              requireAction(post, "cancel", "cancelled");
              return accepted(
                  postId,
                  PublishCancelRequested.newBuilder()
                      .setEventId(UUID.randomUUID().toString())
                      .setTenantId(caller.tenantId())
                      .setOccurredAt(clock.instant())
                      .setPostId(postId)
                      .setRequestedBy(caller.userId())
                      .setReason(request == null ? null : request.reason())
                      .build());
            });
  }

  /** Runs a failed job again, with a fresh set of attempts. */
  @PostMapping("/api/jobs/{jobId}/retry")
  Mono<ResponseEntity<PostAccepted>> retry(
      @PathVariable String jobId,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "retry publishing", PUBLISHER, APPROVER, ADMIN);
    return posts
        .job(authorization, jobId)
        .flatMap(
            job -> {
              if (!"failed".equals(job.state())) {
                throw ApiException.conflict(
                    "invalid-transition",
                    "job " + jobId + " is " + job.state() + "; only a failed job can be retried",
                    Map.of("currentState", job.state()));
              }
              return posts.find(authorization, job.postId());
            })
        .flatMap(
            post -> {
              requireAction(post, "retry", "retried");
              return accepted(
                  post.postId(),
                  PublishRetryRequested.newBuilder()
                      .setEventId(UUID.randomUUID().toString())
                      .setTenantId(caller.tenantId())
                      .setOccurredAt(clock.instant())
                      .setPostId(post.postId())
                      .setJobId(jobId)
                      .setRequestedBy(caller.userId())
                      .build(),
                  TopicCatalog.PUBLISHING_REQUESTS);
            });
  }

  /**
   * Approves or rejects up to 100 posts at once. Each decision is checked on its own; the ones that
   * pass become events, the others are reported with the problem that refused them. 202 when at
   * least one was accepted, 409 {@code bulk-refused} when none was.
   */
  @PostMapping(path = "/api/posts/approvals", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Map<String, Object>>> decide(
      @Valid @RequestBody PostRequests.Decisions request,
      @RequestHeader(HttpHeaders.AUTHORIZATION) String authorization,
      HeraldPrincipal caller) {
    requireRole(caller, "approve posts", APPROVER, ADMIN);
    for (PostRequests.Decision d : request.decisions()) {
      if ("reject".equals(d.decision()) && (d.reason() == null || d.reason().isBlank())) {
        throw ApiException.invalid(
            List.of(Map.of("field", "decisions", "message", "a rejection needs a reason")));
      }
    }
    List<String> ids = request.decisions().stream().map(PostRequests.Decision::postId).toList();
    return posts
        .findAll(authorization, ids.stream().distinct().toList())
        .flatMap(
            found -> {
              List<DecisionResult> results = new ArrayList<>();
              List<SpecificRecord> events = new ArrayList<>();
              for (PostRequests.Decision d : request.decisions()) {
                PostSnapshot post = found.get(d.postId());
                try {
                  if (post == null) {
                    throw ApiException.notFound("no post " + d.postId());
                  }
                  String note = "approve".equals(d.decision()) ? d.comment() : d.reason();
                  events.add(review(caller, post, d.decision(), note));
                  results.add(new DecisionResult(d.postId(), 202, null, null, post.state()));
                } catch (ApiException refused) {
                  results.add(
                      new DecisionResult(
                          d.postId(),
                          refused.status().value(),
                          Problems.type(refused.kind()),
                          refused.getMessage(),
                          post == null ? null : post.state()));
                }
              }
              Map<String, Object> body = new LinkedHashMap<>();
              body.put("accepted", events.size());
              body.put("refused", results.size() - events.size());
              body.put("results", results);
              if (events.isEmpty()) {
                return Mono.error(
                    ApiException.conflict(
                        "bulk-refused",
                        "No decision could be applied.",
                        Map.of("results", results)));
              }
              return Flux.fromIterable(events)
                  .concatMap(e -> publisher.publish(TopicCatalog.CONTENT_APPROVALS, postIdOf(e), e))
                  .then(Mono.just(ResponseEntity.status(HttpStatus.ACCEPTED).body(body)));
            });
  }

  private SpecificRecord review(
      HeraldPrincipal caller, PostSnapshot post, String decision, String note) {
    boolean approve = "approve".equals(decision);
    if (post.authorId().equals(caller.userId()) && !caller.hasRole(ADMIN)) {
      throw ApiException.forbidden("authors cannot " + decision + " their own posts");
    }
    requireAction(post, decision, approve ? "approved" : "rejected");
    if (approve) {
      return ContentApproved.newBuilder()
          .setEventId(UUID.randomUUID().toString())
          .setTenantId(caller.tenantId())
          .setOccurredAt(clock.instant())
          .setPostId(post.postId())
          .setApprovedBy(caller.userId())
          .setComment(note)
          .setBrandId(post.brandId())
          .setAuthorId(post.authorId())
          .setExcerpt(Excerpt.of(post.text()))
          .build();
    }
    return ContentRejected.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTenantId(caller.tenantId())
        .setOccurredAt(clock.instant())
        .setPostId(post.postId())
        .setRejectedBy(caller.userId())
        .setReason(note)
        .setBrandId(post.brandId())
        .setAuthorId(post.authorId())
        .setExcerpt(Excerpt.of(post.text()))
        .build();
  }

  private Mono<ResponseEntity<PostAccepted>> accepted(String postId, SpecificRecord event) {
    return accepted(
        postId,
        event,
        TopicCatalog.CONTENT_APPROVALS.carries(event.getClass())
            ? TopicCatalog.CONTENT_APPROVALS
            : TopicCatalog.PUBLISHING_REQUESTS);
  }

  private Mono<ResponseEntity<PostAccepted>> accepted(
      String postId, SpecificRecord event, TopicSpec topic) {
    return publisher
        .publish(topic, postId, event)
        .thenReturn(ResponseEntity.status(HttpStatus.ACCEPTED).body(PostAccepted.of(postId)));
  }

  private static String postIdOf(SpecificRecord event) {
    return String.valueOf(event.get(event.getSchema().getField("postId").pos()));
  }

  private static void requireRole(HeraldPrincipal caller, String what, String... roles) {
    if (!caller.hasAnyRole(roles)) {
      throw ApiException.missingAnyRole(
          List.of(roles), "to " + what + " you need one of the roles " + String.join(", ", roles));
    }
  }

  private static void requireOwnerOrAdmin(HeraldPrincipal caller, PostSnapshot post, String verb) {
    if (!post.authorId().equals(caller.userId()) && !caller.hasRole(ADMIN)) {
      throw ApiException.forbidden("only the author or an admin can " + verb + " this post");
    }
  }

  /** 409 naming the post's state when it does not allow {@code action}. */
  static void requireAction(PostSnapshot post, String action, String past) {
    if (!post.actions().contains(action)) {
      Map<String, Object> properties = new LinkedHashMap<>();
      properties.put("currentState", post.state());
      properties.put("allowedActions", post.actions());
      throw ApiException.conflict(
          "invalid-transition",
          "post "
              + post.postId()
              + " is "
              + post.state()
              + "; it cannot be "
              + past
              + (post.actions().isEmpty()
                  ? " (nothing can be done to it now)"
                  : " (allowed now: " + String.join(", ", post.actions()) + ")"),
          properties);
    }
  }

  private static List<String> distinct(List<String> values) {
    return values == null ? List.of() : values.stream().distinct().toList();
  }
}
