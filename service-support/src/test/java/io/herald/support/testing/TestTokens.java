package io.herald.support.testing;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Bearer tokens for tests, valid for five minutes.
 *
 * <p>Example: {@code TestTokens.issue(secret, "acme", "alice")}.
 */
public final class TestTokens {

  private TestTokens() {}

  public static String issue(String secret, String tenant, String user, String... roles) {
    return new TokenIssuer(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC())
        .issue(new HeraldPrincipal(tenant, user, List.of(roles)), Duration.ofMinutes(5));
  }

  /** A token scoped to {@code brands} ({@code "*"} for all of the tenant's). */
  public static String issue(
      String secret, String tenant, String user, List<String> roles, List<String> brands) {
    return new TokenIssuer(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC())
        .issue(new HeraldPrincipal(tenant, user, roles, brands), Duration.ofMinutes(5));
  }
}
