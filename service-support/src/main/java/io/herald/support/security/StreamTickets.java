package io.herald.support.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived tickets that open a live stream from a browser, whose {@code EventSource} cannot send
 * an {@code Authorization} header: a client exchanges its bearer token for a ticket and opens
 * {@code /api/notifications/stream?ticket=...}. A ticket names the same tenant, user and roles as
 * the token it was issued for, opens streams only (it is refused as a bearer token, and a bearer
 * token is refused as a ticket: they are signed with different keys) and expires after its
 * lifetime, 60 s by default. A stream that is already open stays open when its ticket expires.
 *
 * <p>Tickets are stateless (HS256 under a key derived from the token secret), so any instance
 * accepts a ticket that another issued.
 *
 * <p>Example: {@code tickets.issue(caller).value()}, then {@code tickets.verify(value)}.
 */
public class StreamTickets {

  /** A ticket and when it stops opening streams. */
  public record Ticket(String value, Instant expiresAt) {}

  static final String AUDIENCE = "herald-stream";

  private final MACSigner signer;
  private final MACVerifier verifier;
  private final Duration lifetime;
  private final Clock clock;

  public StreamTickets(byte[] tokenSecret, Duration lifetime, Clock clock) {
    byte[] key = derive(TokenSecrets.requireStrong(tokenSecret));
    try {
      this.signer = new MACSigner(key);
      this.verifier = new MACVerifier(key);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable token secret: " + e.getMessage(), e);
    }
    this.lifetime = lifetime;
    this.clock = clock;
  }

  public Ticket issue(HeraldPrincipal principal) {
    Instant now = clock.instant();
    Instant expiresAt = now.plus(lifetime);
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(TokenVerifier.ISSUER)
            .audience(AUDIENCE)
            .subject(principal.userId())
            .claim(TokenVerifier.TENANT_CLAIM, principal.tenantId())
            .claim(TokenVerifier.ROLES_CLAIM, principal.roles())
            .claim(TokenVerifier.BRANDS_CLAIM, principal.brands())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(expiresAt))
            .jwtID(UUID.randomUUID().toString())
            .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign ticket", e);
    }
    return new Ticket(jwt.serialize(), expiresAt);
  }

  /**
   * The principal of a valid ticket.
   *
   * @throws InvalidTokenException with a reason that may be shown to the caller
   */
  public HeraldPrincipal verify(String ticket) {
    try {
      SignedJWT jwt = SignedJWT.parse(ticket);
      if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
        throw new InvalidTokenException("stream ticket is not valid");
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (!TokenVerifier.ISSUER.equals(claims.getIssuer())
          || !List.of(AUDIENCE).equals(claims.getAudience())) {
        throw new InvalidTokenException("stream ticket is not valid");
      }
      Date expiry = claims.getExpirationTime();
      if (expiry == null || !expiry.toInstant().isAfter(clock.instant())) {
        throw new InvalidTokenException(
            "stream ticket has expired; get a new one from POST /api/notifications/stream/tickets");
      }
      return new HeraldPrincipal(
          claims.getStringClaim(TokenVerifier.TENANT_CLAIM),
          claims.getSubject(),
          claims.getStringListClaim(TokenVerifier.ROLES_CLAIM),
          claims.getStringListClaim(TokenVerifier.BRANDS_CLAIM));
    } catch (ParseException | JOSEException | NullPointerException e) {
      throw new InvalidTokenException("stream ticket is not valid");
    }
  }

  /** HMAC-SHA256 of a fixed label under the token secret: a key of the tickets' own. */
  private static byte[] derive(byte[] secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal("herald stream ticket v1".getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
