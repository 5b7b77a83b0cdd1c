package io.herald.notification.digests;

import io.herald.events.v1.Channel;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.List;
import java.util.Set;

/**
 * When a user's digests go out and what they collect: daily and weekly digests at {@code time} in
 * the user's zone, weekly ones on {@code weekday}; {@code channels} are the channels whose
 * deliveries are collected (EMAIL, PUSH). A user's own settings, else the tenant's, else {@link
 * #DEFAULT}.
 */
public record DigestSettings(LocalTime time, DayOfWeek weekday, Set<Channel> channels) {

  /** 09:00, Monday, e-mail. */
  public static final DigestSettings DEFAULT =
      new DigestSettings(LocalTime.of(9, 0), DayOfWeek.MONDAY, Set.of(Channel.EMAIL));

  /** The channels a digest can collect. */
  public static final List<Channel> COLLECTABLE = List.of(Channel.EMAIL, Channel.PUSH);

  public DigestSettings {
    channels = Set.copyOf(channels);
  }
}
