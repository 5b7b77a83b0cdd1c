package io.herald.notification.digests;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.Optional;

/**
 * How often a category reaches a user on its collected channels: at once, or in an hourly, daily or
 * weekly digest. Daily and weekly digests go out at the user's digest time in their own zone
 * (weekly on their weekday); hourly ones at the top of each hour.
 *
 * <p>Example: with 09:00 in {@code America/New_York}, a DAILY item stored on Saturday 2027-03-13 at
 * 12:00 local is due Sunday 2027-03-14 09:00 EDT (13:00Z), the day the clocks went forward.
 */
public enum DigestFrequency {
  IMMEDIATE,
  HOURLY,
  DAILY,
  WEEKLY;

  /** The lower-case name the API shows. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** A frequency by its name, any case; empty for an unknown one. */
  public static Optional<DigestFrequency> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(value.strip().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The first digest time strictly after {@code now}. On a day whose clocks skip the digest time
   * (the spring change) the time they show after the gap; on a day they show it twice, the first.
   */
  public Instant next(Instant now, ZoneId zone, LocalTime time, DayOfWeek weekday) {
    ZonedDateTime local = now.atZone(zone);
    return switch (this) {
      case IMMEDIATE -> now;
      case HOURLY -> now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
      case DAILY -> {
        Instant today = at(local.toLocalDate(), time, zone);
        yield today.isAfter(now) ? today : at(local.toLocalDate().plusDays(1), time, zone);
      }
      case WEEKLY -> {
        LocalDate day = local.toLocalDate().with(TemporalAdjusters.nextOrSame(weekday));
        Instant candidate = at(day, time, zone);
        yield candidate.isAfter(now) ? candidate : at(day.plusWeeks(1), time, zone);
      }
    };
  }

  /**
   * The period a digest due at {@code dueAt} belongs to, the unit of "one digest per period": the
   * hour (UTC) for HOURLY, the local date for DAILY, the ISO week of the local date for WEEKLY.
   */
  public String period(Instant dueAt, ZoneId zone) {
    LocalDate day = dueAt.atZone(zone).toLocalDate();
    return switch (this) {
      case IMMEDIATE -> dueAt.toString();
      case HOURLY -> dueAt.truncatedTo(ChronoUnit.HOURS).toString();
      case DAILY -> day.toString();
      case WEEKLY ->
          String.format(
              Locale.ROOT,
              "%d-W%02d",
              day.get(IsoFields.WEEK_BASED_YEAR),
              day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    };
  }

  private static Instant at(LocalDate day, LocalTime time, ZoneId zone) {
    return ZonedDateTime.of(day, time, zone).toInstant();
  }
}
