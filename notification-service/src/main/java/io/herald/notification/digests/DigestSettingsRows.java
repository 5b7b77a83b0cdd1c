package io.herald.notification.digests;

import io.herald.events.v1.Channel;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.EnumSet;
import java.util.Set;

/** Reads {@code digest_settings} columns (send_time, weekday, channels) from a JDBC row. */
public final class DigestSettingsRows {

  private DigestSettingsRows() {}

  /** The settings in the row's columns {@code first}, {@code first + 1}, {@code first + 2}. */
  public static DigestSettings read(ResultSet rows, int first) throws SQLException {
    LocalTime time = rows.getObject(first, LocalTime.class);
    DayOfWeek weekday = DayOfWeek.of(rows.getInt(first + 1));
    Set<Channel> channels = EnumSet.noneOf(Channel.class);
    for (Object c : (Object[]) rows.getArray(first + 2).getArray()) {
      try {
        channels.add(Channel.valueOf(String.valueOf(c)));
      } catch (IllegalArgumentException e) {
        // a channel this version does not know collects nothing
      }
    }
    return new DigestSettings(time, weekday, channels);
  }
}
