package io.herald.support.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.UUID;

/**
 * Mints HS256 tokens that {@link TokenVerifier} accepts: for the local platform's demo users and
 * for tests. Production deployments take tokens from their identity provider instead.
 *
 * <p>Example: {@code new TokenIssuer(secret, Clock.systemUTC()).issue(new HeraldPrincipal("acme",
 * "alice", List.of()), Duration.ofHours(8))}.
 */
public class TokenIssuer {

  private final MACSigner signer;
  private final Clock clock;

  public TokenIssuer(byte[] secret, Clock clock) {
    try {
      this.signer = new MACSigner(TokenSecrets.requireStrong(secret));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable token secret: " + e.getMessage(), e);
    }
    this.clock = clock;
  }

  public String issue(HeraldPrincipal principal, Duration lifetime) {
    Date now = Date.from(clock.instant());
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(TokenVerifier.ISSUER)
            .subject(principal.userId())
            .claim(TokenVerifier.TENANT_CLAIM, principal.tenantId())
            .claim(TokenVerifier.ROLES_CLAIM, principal.roles())
            .claim(TokenVerifier.BRANDS_CLAIM, principal.brands())
            .issueTime(now)
            .expirationTime(Date.from(clock.instant().plus(lifetime)))
            .jwtID(UUID.randomUUID().toString())
            .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign token", e);
    }
    return jwt.serialize();
  }
}
