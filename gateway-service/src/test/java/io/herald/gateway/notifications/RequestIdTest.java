package io.herald.gateway.notifications;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.support.security.HeraldPrincipal;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestIdTest {

  private final HeraldPrincipal alice = new HeraldPrincipal("acme", "alice", List.of());

  @Test
  void shouldDeriveTheSameIdFromTheSameKeyOfTheSameCaller() {
    assertThat(NotificationCommandController.requestId(alice, "k-1"))
        .isEqualTo(NotificationCommandController.requestId(alice, "k-1"))
        .isNotEqualTo(NotificationCommandController.requestId(alice, "k-2"));
  }

  @Test
  void shouldScopeKeysToTenantAndUser() {
    String id = NotificationCommandController.requestId(alice, "k-1");

    assertThat(
            NotificationCommandController.requestId(
                new HeraldPrincipal("globex", "alice", List.of()), "k-1"))
        .isNotEqualTo(id);
    assertThat(
            NotificationCommandController.requestId(
                new HeraldPrincipal("acme", "bob", List.of()), "k-1"))
        .isNotEqualTo(id);
  }

  @Test
  void shouldGiveFreshIdsWithoutKey() {
    assertThat(NotificationCommandController.requestId(alice, null))
        .isNotEqualTo(NotificationCommandController.requestId(alice, null));
  }
}
