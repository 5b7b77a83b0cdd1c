package io.herald.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {

  private static final byte[] SECRET =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final Clock NOW =
      Clock.fixed(Instant.parse("2026-01-01T10:00:00Z"), ZoneOffset.UTC);

  private final TokenVerifier verifier = new TokenVerifier(SECRET, NOW);

  @Test
  void shouldReturnPrincipalOfValidToken() {
    String token =
        new TokenIssuer(SECRET, NOW)
            .issue(new HeraldPrincipal("acme", "alice", List.of("editor")), Duration.ofHours(1));

    HeraldPrincipal principal = verifier.verify(token).block();

    assertThat(principal).isEqualTo(new HeraldPrincipal("acme", "alice", List.of("editor")));
  }

  @Test
  void shouldCarryTheBrandsTheCallerMayActFor() {
    String token =
        new TokenIssuer(SECRET, NOW)
            .issue(
                new HeraldPrincipal("acme", "alice", List.of("author"), List.of("shoes", "hats")),
                Duration.ofHours(1));

    HeraldPrincipal principal = verifier.verify(token).block();

    assertThat(principal.brands()).containsExactly("shoes", "hats");
    assertThat(principal.mayActFor("hats")).isTrue();
    assertThat(principal.mayActFor("coats")).isFalse();
    assertThat(
            new HeraldPrincipal("acme", "root", List.of("admin"), List.of("*")).mayActFor("coats"))
        .isTrue();
  }

  @Test
  void shouldRefuseTokenSignedWithAnotherSecret() {
    byte[] other = "ffffffffffffffffffffffffffffffff".getBytes(StandardCharsets.UTF_8);
    String token =
        new TokenIssuer(other, NOW)
            .issue(new HeraldPrincipal("acme", "alice", List.of()), Duration.ofHours(1));

    assertThatThrownBy(() -> verifier.verify(token).block())
        .isInstanceOf(InvalidTokenException.class)
        .hasMessage("token signature is not valid");
  }

  @Test
  void shouldRefuseExpiredToken() {
    Clock yesterday = Clock.offset(NOW, Duration.ofDays(-1));
    String token =
        new TokenIssuer(SECRET, yesterday)
            .issue(new HeraldPrincipal("acme", "alice", List.of()), Duration.ofHours(1));

    assertThatThrownBy(() -> verifier.verify(token).block()).hasMessage("token has expired");
  }

  @Test
  void shouldRefuseARememberedTokenOnceItHasExpired() {
    MutableClock clock = new MutableClock(NOW.instant());
    TokenVerifier remembering = new TokenVerifier(SECRET, clock);
    String token =
        new TokenIssuer(SECRET, NOW)
            .issue(new HeraldPrincipal("acme", "alice", List.of()), Duration.ofMinutes(2));
    assertThat(remembering.verify(token).block().userId()).isEqualTo("alice");
    assertThat(remembering.verify(token).block().userId()).isEqualTo("alice");

    clock.now = NOW.instant().plus(Duration.ofMinutes(3));

    assertThatThrownBy(() -> remembering.verify(token).block()).hasMessage("token has expired");
  }

  private static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void shouldRefuseGarbageAndUnsignedTokens() {
    assertThatThrownBy(() -> verifier.verify("not-a-token").block())
        .hasMessage("token is not a signed JWT");
    // {"alg":"none"} header with a plausible payload
    assertThatThrownBy(
            () ->
                verifier
                    .verify("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFjbWUifQ.")
                    .block())
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void shouldRefuseShortSecret() {
    assertThatThrownBy(() -> new TokenVerifier("short".getBytes(StandardCharsets.UTF_8), NOW))
        .hasMessageContaining("at least 32 bytes");
  }
}
