package io.herald.support.polling;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A loop on a thread of its own (or several, each looping alike) for as long as the application
 * runs: it calls {@link #runOnce()} again at once while there was work, sleeps {@code pollInterval}
 * when there was none, and one second after a failure (the database or the broker away), which it
 * logs and survives.
 */
public abstract class PollingLoop implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(PollingLoop.class);

  private final String name;
  private final Duration pollInterval;
  private final Duration stopTimeout;
  private final int threads;
  private volatile boolean running;
  private final java.util.List<Thread> started = new java.util.ArrayList<>();

  protected PollingLoop(String name, Duration pollInterval, Duration stopTimeout) {
    this(name, pollInterval, stopTimeout, 1);
  }

  /**
   * @param threads loops running at once; {@link #runOnce()} must then be safe to call concurrently
   *     (e.g. each call claims its own rows with {@code SKIP LOCKED})
   */
  protected PollingLoop(String name, Duration pollInterval, Duration stopTimeout, int threads) {
    this.name = name;
    this.pollInterval = pollInterval;
    this.stopTimeout = stopTimeout;
    this.threads = Math.max(1, threads);
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
    for (int i = 0; i < threads; i++) {
      Thread thread = new Thread(this::loop, threads == 1 ? name : name + "-" + i);
      thread.setDaemon(true);
      thread.start();
      started.add(thread);
    }
  }

  @Override
  public void stop() {
    running = false;
    started.forEach(Thread::interrupt);
    long deadline = System.nanoTime() + stopTimeout.toNanos();
    for (Thread thread : started) {
      try {
        thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    started.clear();
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
