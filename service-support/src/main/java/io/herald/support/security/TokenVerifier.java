package io.herald.support.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;

/**
 * Verifies HS256 bearer tokens issued for Herald: signature, issuer, expiry, and the {@code tenant}
 * and {@code sub} claims.
 *
 * <p>Example: {@code new TokenVerifier(secret, Clock.systemUTC()).verify(token).tenantId()}.
 */
public class TokenVerifier {

  static final String ISSUER = "herald";
  static final String TENANT_CLAIM = "tenant";
  static final String ROLES_CLAIM = "roles";
  static final String BRANDS_CLAIM = "brands";
  private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

  private final JWSVerifier verifier;
  private final Clock clock;

  public TokenVerifier(byte[] secret, Clock clock) {
    try {
      this.verifier = new MACVerifier(TokenSecrets.requireStrong(secret));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable token secret: " + e.getMessage(), e);
    }
    this.clock = clock;
  }

  /**
   * Returns the principal of a valid token.
   *
   * @throws InvalidTokenException with a reason that may be shown to the caller
   */
  public HeraldPrincipal verify(String token) {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidTokenException("token is not a signed JWT");
    }
    if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
      throw new InvalidTokenException("token must be signed with HS256");
    }
    try {
      if (!jwt.verify(verifier)) {
        throw new InvalidTokenException("token signature is not valid");
      }
    } catch (JOSEException e) {
      throw new InvalidTokenException("token signature cannot be checked");
    }
    if (!ISSUER.equals(claims.getIssuer())) {
      throw new InvalidTokenException("token issuer must be '" + ISSUER + "'");
    }
    Date expiry = claims.getExpirationTime();
    if (expiry == null) {
      throw new InvalidTokenException("token has no expiry");
    }
    if (expiry.toInstant().plus(CLOCK_SKEW).isBefore(clock.instant())) {
      throw new InvalidTokenException("token has expired");
    }
    try {
      String tenant = claims.getStringClaim(TENANT_CLAIM);
      String subject = claims.getSubject();
      if (tenant == null || tenant.isBlank() || subject == null || subject.isBlank()) {
        throw new InvalidTokenException("token must carry 'sub' and 'tenant' claims");
      }
      List<String> roles = claims.getStringListClaim(ROLES_CLAIM);
      List<String> brands = claims.getStringListClaim(BRANDS_CLAIM);
      return new HeraldPrincipal(tenant, subject, roles, brands);
    } catch (ParseException e) {
      throw new InvalidTokenException("token claims have the wrong types");
    }
  }
}
