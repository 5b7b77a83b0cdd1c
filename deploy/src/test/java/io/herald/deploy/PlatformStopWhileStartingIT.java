package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C or SIGTERM while the platform is still starting (what {@code ./herald run}'s shutdown hook
 * does: {@link Platform#close()} from another thread) stops every child started so far, and starts
 * nothing after.
 */
class PlatformStopWhileStartingIT {

  @Test
  void shouldStopEveryChildStartedSoFarAndStartNoMore() throws Exception {
    Path dataDir = Files.createTempDirectory(Path.of("target"), "stop-while-starting-");
    Platform platform = Platform.prepare(PlatformConfig.isolated(dataDir));
    AtomicReference<Throwable> startFailure = new AtomicReference<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                platform.start();
              } catch (Throwable e) {
                startFailure.set(e);
              }
            },
            "platform-start");
    starter.start();
    // Stopped once the broker runs and before the services are up.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> platform.childProcessIds().size() >= 1);
    List<Long> startedSoFar = platform.childProcessIds();

    platform.close();
    starter.join(Duration.ofSeconds(120).toMillis());

    assertThat(starter.isAlive()).as("start() returned").isFalse();
    assertThat(startFailure.get()).as("start() reports that it was stopped").isNotNull();
    assertThat(platform.isClosed()).isTrue();
    List<Long> all = platform.childProcessIds();
    assertThat(all).containsAll(startedSoFar);
    assertThat(all)
        .as("no child of the platform is left running")
        .allSatisfy(
            pid ->
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                    .isNotEqualTo(Optional.of(true)));
    assertThat(Ports.isFree(platform.ports().postgres())).as("PostgreSQL stopped").isTrue();
    assertThat(Ports.isFree(platform.ports().kafka())).as("Kafka's port free").isTrue();
    assertThat(Ports.isFree(platform.ports().gateway())).as("no gateway started").isTrue();
  }
}
