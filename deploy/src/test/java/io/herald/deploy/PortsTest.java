package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PortsTest {

  @Test
  void shouldPickDistinctFreePortsForEverything() {
    Ports ports = Ports.free();

    assertThat(ports.byOwner().values()).hasSize(Ports.COUNT).doesNotHaveDuplicates();
    assertThat(ports.byOwner().values())
        .allSatisfy(port -> assertThat(Ports.isFree(port)).isTrue());
  }

  @Test
  void shouldKeepTheDocumentedDefaults() {
    Ports ports = Ports.defaults();

    assertThat(ports.gateway()).isEqualTo(8080);
    assertThat(ports.kafka()).isEqualTo(9092);
    assertThat(ports.byOwner().values()).doesNotHaveDuplicates();
  }
}
