package io.herald.notification.preferences;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * A window of local time, {@code [start, end)}, in which non-critical e-mail, WhatsApp and push
 * deliveries are held; one whose end is before its start runs over midnight, and start = end is no
 * window.
 *
 * <p>Example: {@code new QuietHours(LocalTime.of(22, 0), LocalTime.of(7, 0)).endsAfter(zone, now)}
 * is the next 07:00 in {@code zone} when it is between 22:00 and 07:00 there, else null.
 */
public record QuietHours(LocalTime start, LocalTime end) {

  /** When the window that holds {@code now} ends, or null when {@code now} is outside it. */
  public Instant endsAfter(ZoneId zone, Instant now) {
    if (start.equals(end)) {
      return null;
    }
    ZonedDateTime local = now.atZone(zone);
    LocalTime time = local.toLocalTime();
    LocalDate today = local.toLocalDate();
    if (start.isBefore(end)) {
      return !time.isBefore(start) && time.isBefore(end) ? at(today, zone) : null;
    }
    if (!time.isBefore(start)) {
      return at(today.plusDays(1), zone);
    }
    return time.isBefore(end) ? at(today, zone) : null;
  }

  private Instant at(LocalDate day, ZoneId zone) {
    return ZonedDateTime.of(day, end, zone).toInstant();
  }
}
