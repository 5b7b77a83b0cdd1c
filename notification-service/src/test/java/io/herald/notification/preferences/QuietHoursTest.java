package io.herald.notification.preferences;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class QuietHoursTest {

  private static final QuietHours NIGHT = new QuietHours(LocalTime.of(22, 0), LocalTime.of(7, 0));
  private static final QuietHours LUNCH = new QuietHours(LocalTime.of(12, 0), LocalTime.of(13, 0));

  @Test
  void shouldHoldUntilTheEndOfAWindowOverMidnight() {
    assertThat(NIGHT.endsAfter(ZoneOffset.UTC, Instant.parse("2026-12-07T23:30:00Z")))
        .isEqualTo(Instant.parse("2026-12-08T07:00:00Z"));
    assertThat(NIGHT.endsAfter(ZoneOffset.UTC, Instant.parse("2026-12-08T03:00:00Z")))
        .isEqualTo(Instant.parse("2026-12-08T07:00:00Z"));
    assertThat(NIGHT.endsAfter(ZoneOffset.UTC, Instant.parse("2026-12-08T22:00:00Z")))
        .as("from its start")
        .isEqualTo(Instant.parse("2026-12-09T07:00:00Z"));
    assertThat(NIGHT.endsAfter(ZoneOffset.UTC, Instant.parse("2026-12-08T07:00:00Z")))
        .as("not at its end")
        .isNull();
    assertThat(NIGHT.endsAfter(ZoneOffset.UTC, Instant.parse("2026-12-08T15:00:00Z"))).isNull();
  }

  @Test
  void shouldReadTheWindowInTheRecipientsZone() {
    ZoneId tokyo = ZoneId.of("Asia/Tokyo");
    // 14:00 UTC is 23:00 in Tokyo: quiet until 07:00 there, 22:00 UTC.
    assertThat(NIGHT.endsAfter(tokyo, Instant.parse("2026-12-07T14:00:00Z")))
        .isEqualTo(Instant.parse("2026-12-07T22:00:00Z"));
    assertThat(LUNCH.endsAfter(tokyo, Instant.parse("2026-12-07T03:30:00Z")))
        .isEqualTo(Instant.parse("2026-12-07T04:00:00Z"));
    assertThat(LUNCH.endsAfter(tokyo, Instant.parse("2026-12-07T12:30:00Z"))).isNull();
  }

  @Test
  void shouldEndAtTheLocalTimeAcrossADaylightSavingChange() {
    // New York, night of 2026-03-07 to 08: the clocks skip 02:00-03:00; 07:00 EDT is 11:00 UTC.
    assertThat(
            NIGHT.endsAfter(ZoneId.of("America/New_York"), Instant.parse("2026-03-08T04:00:00Z")))
        .isEqualTo(Instant.parse("2026-03-08T11:00:00Z"));
  }
}
