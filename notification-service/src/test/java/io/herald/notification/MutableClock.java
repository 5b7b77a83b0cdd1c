package io.herald.notification;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The service's clock in integration tests: the system's time until a test sets it, then that
 * instant until the test sets another or {@link #reset resets} it.
 */
public final class MutableClock extends Clock {

  private volatile Instant fixed;

  public void set(Instant instant) {
    this.fixed = instant;
  }

  public void reset() {
    this.fixed = null;
  }

  @Override
  public Instant instant() {
    Instant f = fixed;
    return f != null ? f : Instant.now();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the service's clock is UTC");
  }
}
