package io.herald.support.security;

import java.util.List;
import java.util.Objects;

/**
 * The caller of an API request, taken from a verified token.
 *
 * <p>Example: {@code new HeraldPrincipal("acme", "alice", List.of("editor"))}.
 */
public record HeraldPrincipal(String tenantId, String userId, List<String> roles) {

  /** Request attribute under which the verified principal is stored. */
  public static final String ATTRIBUTE = HeraldPrincipal.class.getName();

  public HeraldPrincipal {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(userId, "userId");
    roles = roles == null ? List.of() : List.copyOf(roles);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }
}
