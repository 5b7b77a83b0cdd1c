package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PlatformConfigTest {

  private final PlatformConfig local = PlatformConfig.local(Path.of("target/herald-config-test"));

  @Test
  void shouldStartTheGatewayWithTheQuickCompilerAndGrowingHeapsByDefault() {
    assertThat(local.jvmOptionsOf("gateway-service"))
        .contains("-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1");
    assertThat(local.jvmOptionsOf("notification-service"))
        .contains("-Xms64m", "-Xmx512m")
        .noneMatch(o -> o.startsWith("-XX:TieredStopAtLevel"));
    assertThat(local.jvmOptionsOf("push-worker"))
        .contains("-Xmx256m")
        .noneMatch(o -> o.startsWith("-XX:TieredStopAtLevel"));
  }

  @Test
  void shouldGiveEveryServiceTheOptimisingCompilerAndItsWholeHeapWhenTuned() {
    PlatformConfig tuned = local.asTuned();

    assertThat(tuned.tuned()).isTrue();
    assertThat(tuned.ports()).isEqualTo(local.ports());
    for (String service :
        new String[] {
          "gateway-service", "publishing-service", "email-worker", "whatsapp-worker", "push-worker"
        }) {
      assertThat(tuned.jvmOptionsOf(service))
          .as(service)
          .contains("-Xms256m", "-Xmx256m", "-XX:+UseSerialGC")
          .noneMatch(o -> o.startsWith("-XX:TieredStopAtLevel"));
    }
    assertThat(tuned.jvmOptionsOf("notification-service")).contains("-Xms512m", "-Xmx512m");
  }
}
