package io.herald.notification.digests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class DigestFrequencyTest {

  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final LocalTime NINE = LocalTime.of(9, 0);

  @Test
  void dailyIsTodaysTimeWhileItIsAheadElseTomorrowsAcrossTheClockChange() {
    Instant sevenEst = Instant.parse("2027-03-13T12:00:00Z");
    assertThat(DigestFrequency.DAILY.next(sevenEst, NEW_YORK, NINE, DayOfWeek.MONDAY))
        .isEqualTo("2027-03-13T14:00:00Z");
    Instant nineEst = Instant.parse("2027-03-13T14:00:00Z");
    assertThat(DigestFrequency.DAILY.next(nineEst, NEW_YORK, NINE, DayOfWeek.MONDAY))
        .as("exactly at the time: the next day's, 23 hours later")
        .isEqualTo("2027-03-14T13:00:00Z");
  }

  @Test
  void aTimeTheClocksSkipIsTheTimeAfterTheGap() {
    Instant saturday = Instant.parse("2027-03-13T20:00:00Z");
    assertThat(
            DigestFrequency.DAILY.next(saturday, NEW_YORK, LocalTime.of(2, 30), DayOfWeek.MONDAY))
        .as("02:30 does not exist on 2027-03-14 in New York: 03:30 EDT")
        .isEqualTo("2027-03-14T07:30:00Z");
  }

  @Test
  void aTimeTheClocksShowTwiceIsTheFirst() {
    Instant saturday = Instant.parse("2027-11-06T20:00:00Z");
    assertThat(
            DigestFrequency.DAILY.next(saturday, NEW_YORK, LocalTime.of(1, 30), DayOfWeek.MONDAY))
        .as("01:30 EDT, before the clocks go back to 01:00 EST")
        .isEqualTo("2027-11-07T05:30:00Z");
  }

  @Test
  void weeklyIsTheNextWeekdayAtTheTimeAndHourlyTheNextHour() {
    Instant saturday = Instant.parse("2027-03-13T12:00:00Z");
    assertThat(DigestFrequency.WEEKLY.next(saturday, NEW_YORK, NINE, DayOfWeek.MONDAY))
        .isEqualTo("2027-03-15T13:00:00Z");
    assertThat(DigestFrequency.WEEKLY.next(saturday, NEW_YORK, NINE, DayOfWeek.SATURDAY))
        .as("today, still ahead at 07:00 local")
        .isEqualTo("2027-03-13T14:00:00Z");
    assertThat(
            DigestFrequency.WEEKLY.next(
                Instant.parse("2027-03-13T15:00:00Z"), NEW_YORK, NINE, DayOfWeek.SATURDAY))
        .isEqualTo("2027-03-20T13:00:00Z");
    assertThat(
            DigestFrequency.HOURLY.next(
                Instant.parse("2027-03-13T12:34:56Z"), NEW_YORK, NINE, DayOfWeek.MONDAY))
        .isEqualTo("2027-03-13T13:00:00Z");
  }

  @Test
  void periodsAreLocalDatesIsoWeeksAndHours() {
    Instant newYearsEveInNewYork = Instant.parse("2027-01-01T02:00:00Z");
    assertThat(DigestFrequency.DAILY.period(newYearsEveInNewYork, NEW_YORK))
        .isEqualTo("2026-12-31");
    assertThat(DigestFrequency.WEEKLY.period(newYearsEveInNewYork, NEW_YORK)).isEqualTo("2026-W53");
    assertThat(DigestFrequency.HOURLY.period(Instant.parse("2027-01-01T02:00:00Z"), NEW_YORK))
        .isEqualTo("2027-01-01T02:00:00Z");
  }

  @Test
  void parsesAnyCaseAndRefusesTheUnknown() {
    assertThat(DigestFrequency.parse(" Daily ")).contains(DigestFrequency.DAILY);
    assertThat(DigestFrequency.parse("monthly")).isEmpty();
    assertThat(DigestFrequency.parse(null)).isEmpty();
  }
}
