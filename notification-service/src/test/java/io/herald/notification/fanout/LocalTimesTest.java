package io.herald.notification.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.junit.jupiter.api.Test;

class LocalTimesTest {

  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  @Test
  void shouldTakeTodaysTimeWhileItIsAheadAndTomorrowsOnceItPassed() {
    Instant now = Instant.parse("2026-12-07T08:00:00Z");
    // Lisbon is on UTC in winter: 09:00 is an hour ahead.
    assertThat(LocalTimes.next(LocalTimes.parse("09:00"), ZoneId.of("Europe/Lisbon"), now))
        .isEqualTo(Instant.parse("2026-12-07T09:00:00Z"));
    // Tokyo (UTC+9) is at 17:00: its next 09:00 is tomorrow.
    assertThat(LocalTimes.next(LocalTimes.parse("09:00"), ZoneId.of("Asia/Tokyo"), now))
        .isEqualTo(Instant.parse("2026-12-08T00:00:00Z"));
    // New York (UTC-5 in winter) is at 03:00.
    assertThat(LocalTimes.next(LocalTimes.parse("09:00"), NEW_YORK, now))
        .isEqualTo(Instant.parse("2026-12-07T14:00:00Z"));
    // Exactly at the time: the next day's.
    assertThat(LocalTimes.next(LocalTimes.parse("08:00"), ZoneOffset.UTC, now))
        .isEqualTo(Instant.parse("2026-12-08T08:00:00Z"));
  }

  @Test
  void shouldFollowTheClocksAcrossDaylightSavingChanges() {
    // 2026-03-08: New York's clocks go from 02:00 EST to 03:00 EDT.
    Instant beforeSpring = Instant.parse("2026-03-08T05:00:00Z"); // 00:00 EST
    assertThat(LocalTimes.next(LocalTimes.parse("09:00"), NEW_YORK, beforeSpring))
        .as("09:00 EDT on the day of the change")
        .isEqualTo(Instant.parse("2026-03-08T13:00:00Z"));
    assertThat(LocalTimes.next(LocalTimes.parse("02:30"), NEW_YORK, beforeSpring))
        .as("02:30 does not happen that day: 03:30 EDT")
        .isEqualTo(Instant.parse("2026-03-08T07:30:00Z"));
    // The day before, 09:00 was 14:00 UTC.
    assertThat(
            LocalTimes.next(
                LocalTimes.parse("09:00"), NEW_YORK, Instant.parse("2026-03-07T05:00:00Z")))
        .isEqualTo(Instant.parse("2026-03-07T14:00:00Z"));
    // 2026-11-01: 01:30 happens twice (EDT, then EST): the first.
    assertThat(
            LocalTimes.next(
                LocalTimes.parse("01:30"), NEW_YORK, Instant.parse("2026-11-01T04:00:00Z")))
        .isEqualTo(Instant.parse("2026-11-01T05:30:00Z"));
  }

  @Test
  void shouldReadOnlyHoursAndMinutesAndFallBackToUtcForAnUnknownZone() {
    assertThat(LocalTimes.parse("23:59")).hasToString("23:59");
    for (String bad : new String[] {"24:00", "9:00", "09:60", "09:00:00", "nine"}) {
      assertThatThrownBy(() -> LocalTimes.parse(bad)).isInstanceOf(DateTimeParseException.class);
    }
    assertThat(LocalTimes.zone("Mars/Olympus")).isEqualTo(ZoneOffset.UTC);
    assertThat(LocalTimes.zone(null)).isEqualTo(ZoneOffset.UTC);
  }
}
