package io.herald.gateway.posts;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Instant;
import java.util.List;

/** The bodies of the post commands. */
final class PostRequests {

  private PostRequests() {}

  /**
   * {@code POST /api/posts}: {@code {"brandId": "acme-shoes", "text": "Spring sale!", "mediaUrls":
   * ["https://cdn.example/sale.png"], "platforms": ["X", "LINKEDIN"]}}.
   */
  record Create(
      @NotBlank(message = "brandId is required")
          @Size(max = 64, message = "brandId is at most 64 characters")
          String brandId,
      @NotBlank(message = "text is required")
          @Size(max = 10_000, message = "text is at most 10000 characters")
          String text,
      @Size(max = 10, message = "at most 10 media URLs") List<@NotNull @MediaUrl String> mediaUrls,
      @NotEmpty(message = "at least one platform is required")
          @Size(max = 3, message = "at most 3 platforms")
          List<@NotNull @Platform String> platforms) {}

  /** {@code PUT /api/posts/{postId}}: the new content, replacing the old. */
  record Update(
      @NotBlank(message = "text is required")
          @Size(max = 10_000, message = "text is at most 10000 characters")
          String text,
      @Size(max = 10, message = "at most 10 media URLs") List<@NotNull @MediaUrl String> mediaUrls,
      @NotEmpty(message = "at least one platform is required")
          @Size(max = 3, message = "at most 3 platforms")
          List<@NotNull @Platform String> platforms) {}

  /**
   * {@code POST /api/posts/{postId}/publish}: {@code {"connectionIds": ["…"], "scheduledAt":
   * "2026-12-24T09:00:00Z"}}; without {@code scheduledAt} the post goes out now.
   */
  record Publish(
      @NotEmpty(message = "at least one connection is required")
          @Size(max = 10, message = "at most 10 connections")
          List<@NotBlank String> connectionIds,
      Instant scheduledAt) {}

  /** {@code POST /api/posts/{postId}/cancel}: an optional reason. */
  record Cancel(@Size(max = 2000, message = "reason is at most 2000 characters") String reason) {}

  /** {@code POST /api/posts/{postId}/approve}: an optional comment for the author. */
  record Approve(
      @Size(max = 2000, message = "comment is at most 2000 characters") String comment) {}

  /** {@code POST /api/posts/{postId}/reject}: why, shown to the author. */
  record Reject(
      @NotBlank(message = "reason is required")
          @Size(max = 2000, message = "reason is at most 2000 characters")
          String reason) {}

  /**
   * {@code POST /api/posts/approvals}: {@code {"decisions": [{"postId": "…", "decision":
   * "approve"}, {"postId": "…", "decision": "reject", "reason": "Off-brand"}]}}.
   */
  record Decisions(
      @NotEmpty(message = "at least one decision is required")
          @Size(max = 100, message = "at most 100 decisions at once")
          List<@NotNull @Valid Decision> decisions) {}

  record Decision(
      @NotBlank(message = "postId is required") String postId,
      @NotNull(message = "decision is required")
          @Pattern(regexp = "approve|reject", message = "decision is approve or reject")
          String decision,
      @Size(max = 2000, message = "comment is at most 2000 characters") String comment,
      @Size(max = 2000, message = "reason is at most 2000 characters") String reason) {}

  /** A platform a post can target. */
  @Pattern(
      regexp = "X|LINKEDIN|FACEBOOK",
      message = "unknown platform; use X, LINKEDIN or FACEBOOK")
  @Constraint(validatedBy = {})
  @Target({ElementType.TYPE_USE})
  @Retention(RetentionPolicy.RUNTIME)
  @interface Platform {
    String message() default "unknown platform; use X, LINKEDIN or FACEBOOK";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
  }

  /** An https URL of at most 2048 characters. */
  @Pattern(regexp = "https://[^\\s]{1,2040}", message = "media URLs must be https URLs")
  @Constraint(validatedBy = {})
  @Target({ElementType.TYPE_USE})
  @Retention(RetentionPolicy.RUNTIME)
  @interface MediaUrl {
    String message() default "media URLs must be https URLs";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
  }
}
