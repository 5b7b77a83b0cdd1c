package io.herald.support.security;

import java.util.List;
import java.util.Objects;

/**
 * The caller of an API request, taken from a verified token: tenant, user, roles and the brands the
 * user may act for ({@value #ALL_BRANDS} for every brand of the tenant).
 *
 * <p>Example: {@code new HeraldPrincipal("acme", "alice", List.of("author"),
 * List.of("acme-shoes"))}.
 */
public record HeraldPrincipal(
    String tenantId, String userId, List<String> roles, List<String> brands) {

  /** The brand entry that grants every brand of the tenant. */
  public static final String ALL_BRANDS = "*";

  /** Request attribute under which the verified principal is stored. */
  public static final String ATTRIBUTE = HeraldPrincipal.class.getName();

  public HeraldPrincipal {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(userId, "userId");
    roles = roles == null ? List.of() : List.copyOf(roles);
    brands = brands == null ? List.of() : List.copyOf(brands);
  }

  /** A caller scoped to no brand. */
  public HeraldPrincipal(String tenantId, String userId, List<String> roles) {
    this(tenantId, userId, roles, List.of());
  }

  /** Whether any of {@code anyOf} is one of the caller's roles. */
  public boolean hasAnyRole(String... anyOf) {
    for (String role : anyOf) {
      if (roles.contains(role)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the token lets the caller act for {@code brandId}. */
  public boolean mayActFor(String brandId) {
    return brands.contains(ALL_BRANDS) || brands.contains(brandId);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }
}
