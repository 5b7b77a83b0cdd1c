package io.herald.gateway.notifications;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Body of {@code POST /api/notifications}.
 *
 * <p>Example:
 *
 * <pre>
 * {"recipients": {"userIds": ["bob"]}, "channels": ["IN_APP", "EMAIL"],
 *  "category": "account", "title": "Welcome", "body": "Hello Bob"}
 * {"recipients": {"roles": ["editor"]}, "channels": ["EMAIL"], "category": "account",
 *  "template": {"id": "welcome", "locale": "pt-BR"}, "data": {"name": "Ana"}}
 * {"recipients": {"userIds": ["bob"]}, "channels": ["EMAIL"], "category": "reminders",
 *  "title": "Your trial ends tomorrow", "body": "...", "sendAt": "2026-12-24T09:00:00Z"}
 * {"recipients": {"userIds": ["bob"]}, "channels": ["PUSH"], "category": "reminders",
 *  "title": "Still there?", "body": "...", "delay": "PT30M"}
 * </pre>
 *
 * <p>{@code sendAt} (an instant) or {@code delay} (an ISO-8601 duration from now) hold the
 * notification until then; neither, or a time already past, sends at once. {@code localTime}
 * ({@code HH:mm}) sends it to each recipient at the next such time in their own time zone.
 *
 * <p>{@code fallback} tries channels one after another for each recipient: {@code [{"channel":
 * "PUSH", "wait": "PT10M"}, {"channel": "EMAIL"}]}.
 */
public record SendNotificationRequest(
    @NotNull(message = "recipients are required") @Valid Recipients recipients,
    @Size(max = 4, message = "at most 4 channels")
        List<
                @NotNull
                @Pattern(
                    regexp = "IN_APP|EMAIL|WHATSAPP|PUSH",
                    message = "unknown channel; use IN_APP, EMAIL, WHATSAPP or PUSH")
                String>
            channels,
    @NotNull(message = "category is required")
        @Pattern(
            regexp = "[a-z0-9][a-z0-9._-]{0,63}",
            message = "category must be 1-64 lowercase letters, digits, '.', '_' or '-'")
        String category,
    @Size(max = 200, message = "title is at most 200 characters")
        @Pattern(regexp = PRINTABLE, message = NOT_PRINTABLE)
        String title,
    @Size(max = 10_000, message = "body is at most 10000 characters")
        @Pattern(regexp = PRINTABLE, message = NOT_PRINTABLE)
        String body,
    @Valid Template template,
    @Size(max = 50, message = "at most 50 data entries")
        Map<
                @Size(max = 128, message = "data keys are at most 128 characters")
                @Pattern(regexp = PRINTABLE, message = NOT_PRINTABLE) String,
                @Size(max = 10_000, message = "data values are at most 10000 characters")
                @Pattern(regexp = PRINTABLE, message = NOT_PRINTABLE) String>
            data,
    Instant sendAt,
    Duration delay,
    @Pattern(
            regexp = "([01][0-9]|2[0-3]):[0-5][0-9]",
            message = "localTime is HH:mm, 00:00 to 23:59")
        String localTime,
    @Size(min = 2, max = 3, message = "a fallback chain has 2 or 3 steps")
        List<@NotNull @Valid FallbackStep> fallback) {

  /**
   * Text without control characters (tab, line feed and carriage return aside) and without unpaired
   * surrogates: what every store and provider downstream takes.
   */
  static final String PRINTABLE = "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\p{Cs}]*";

  static final String NOT_PRINTABLE =
      "must not contain control characters (other than tab and line breaks) or unpaired surrogates";

  /**
   * What to send: a tenant template (rendered per recipient and channel by notification-service),
   * or an inline title and body.
   */
  @AssertTrue(message = "give a template, or a title and a body")
  public boolean isContentGiven() {
    return template != null
        || (title != null && !title.isBlank() && body != null && !body.isBlank());
  }

  @AssertTrue(message = "give at most one of sendAt, delay and localTime")
  public boolean isOneScheduleGiven() {
    int given = (sendAt == null ? 0 : 1) + (delay == null ? 0 : 1) + (localTime == null ? 0 : 1);
    return given <= 1;
  }

  @AssertTrue(message = "delay must not be negative")
  public boolean isDelayNotNegative() {
    return delay == null || !delay.isNegative();
  }

  @AssertTrue(message = "at least one channel is required, or a fallback chain")
  public boolean isChannelGiven() {
    return (channels != null && !channels.isEmpty()) || (fallback != null && !fallback.isEmpty());
  }

  /** The longest a fallback step may wait for a delivered or read status. */
  static final Duration LONGEST_FALLBACK_WAIT = Duration.ofDays(7);

  @AssertTrue(message = "each channel once in a fallback chain, and none that channels names")
  public boolean isFallbackDistinct() {
    if (fallback == null) {
      return true;
    }
    List<String> steps =
        fallback.stream().filter(s -> s != null).map(FallbackStep::channel).toList();
    return steps.stream().distinct().count() == steps.size()
        && (channels == null || steps.stream().noneMatch(channels::contains));
  }

  @AssertTrue(
      message = "every fallback step but the last needs a wait, more than 0 and at most P7D")
  public boolean isFallbackWaitGiven() {
    if (fallback == null) {
      return true;
    }
    for (int i = 0; i < fallback.size() - 1; i++) {
      Duration wait = fallback.get(i) == null ? null : fallback.get(i).waitFor();
      if (wait == null
          || wait.isNegative()
          || wait.isZero()
          || wait.compareTo(LONGEST_FALLBACK_WAIT) > 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * One step of a fallback chain: a channel, and how long to wait for its delivered or read status
   * before the next step.
   */
  public record FallbackStep(
      @NotNull
          @Pattern(
              regexp = "EMAIL|WHATSAPP|PUSH",
              message = "a fallback step is EMAIL, WHATSAPP or PUSH")
          String channel,
      @com.fasterxml.jackson.annotation.JsonProperty("wait") Duration waitFor) {}

  /** When to deliver: {@code sendAt}, {@code now + delay}, or null for at once. */
  Instant deliverAt(Instant now) {
    if (sendAt != null) {
      return sendAt;
    }
    return delay == null ? null : now.plus(delay);
  }

  public record Recipients(
      @Size(max = 1000, message = "at most 1000 user ids")
          List<@NotNull @Size(min = 1, max = 128) String> userIds,
      @Size(max = 20, message = "at most 20 roles")
          List<@NotNull @Size(min = 1, max = 64) String> roles) {

    @AssertTrue(message = "name at least one user id or role")
    public boolean isNotEmpty() {
      return (userIds != null && !userIds.isEmpty()) || (roles != null && !roles.isEmpty());
    }
  }

  public record Template(
      @NotNull @Size(min = 1, max = 128) String id, @Size(max = 35) String locale) {}
}
