package io.herald.notification.fanout;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;

/**
 * Times of day in a recipient's own time zone ({@code localTime}).
 *
 * <p>Example: {@code LocalTimes.next(LocalTimes.parse("09:00"), ZoneId.of("Asia/Tokyo"), now)} is
 * the next 09:00 in Tokyo after {@code now}.
 */
public final class LocalTimes {

  private static final DateTimeFormatter HH_MM =
      DateTimeFormatter.ofPattern("HH:mm").withResolverStyle(ResolverStyle.STRICT);

  private LocalTimes() {}

  /** {@code HH:mm}, 00:00 to 23:59. */
  public static LocalTime parse(String time) {
    return LocalTime.parse(time, HH_MM);
  }

  /**
   * The first instant after {@code now} at which the zone's clocks read {@code time}: today's if it
   * is still ahead, else tomorrow's. On a day whose clocks skip that time (the spring change), the
   * time the clocks show after the gap, e.g. 03:30 for 02:30; on a day they read it twice, the
   * first.
   */
  public static Instant next(LocalTime time, ZoneId zone, Instant now) {
    ZonedDateTime local = now.atZone(zone);
    Instant today = ZonedDateTime.of(local.toLocalDate(), time, zone).toInstant();
    if (today.isAfter(now)) {
      return today;
    }
    return ZonedDateTime.of(local.toLocalDate().plusDays(1), time, zone).toInstant();
  }

  /** The zone of an IANA id; UTC for one this JVM does not know. */
  public static ZoneId zone(String id) {
    if (id == null) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(id);
    } catch (DateTimeException e) {
      return ZoneOffset.UTC;
    }
  }
}
