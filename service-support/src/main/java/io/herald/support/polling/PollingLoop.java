package io.herald.support.polling;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A loop on a thread of its own for as long as the application runs: it calls {@link #runOnce()}
 * again at once while there was work, sleeps {@code pollInterval} when there was none, and one
 * second after a failure (the database or the broker away), which it logs and survives.
 */
public abstract class PollingLoop implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(PollingLoop.class);

  private final String name;
  private final Duration pollInterval;
  private final Duration stopTimeout;
  private volatile boolean running;
  private Thread thread;

  protected PollingLoop(String name, Duration pollInterval, Duration stopTimeout) {
    this.name = name;
    this.pollInterval = pollInterval;
    this.stopTimeout = stopTimeout;
  }

  /**
   * One round of work.
   *
   * @return true when there may be more work at once
   */
  protected abstract boolean runOnce() throws Exception;

  @Override
  public void start() {
    running = true;
    thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(stopTimeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  private void loop() {
    while (running) {
      try {
        if (!runOnce()) {
          Thread.sleep(pollInterval.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        log.warn("{} failed, trying again: {}", name, e.toString());
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
