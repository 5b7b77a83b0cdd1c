package io.herald.support.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/**
 * Verifies bearer tokens with Spring Security's JWT decoder: the signature (keys from a JWKS URL in
 * production, an HS256 secret on the local platform only), expiry, issuer, audience, and the {@code
 * sub} and {@code tenant} claims; {@code roles} and {@code brands} become the principal's. Tokens
 * without a signature ({@code alg: none}) or with another algorithm are refused.
 *
 * <p>A token that passed is remembered (up to {@value #REMEMBERED} tokens, each for at most {@link
 * #REMEMBER_FOR} and never past its own expiry), so a client that sends the same token on every
 * request has its signature checked once, not on every request.
 *
 * <p>Example: {@code TokenVerifier.jwks(URI.create("https://idp.example/jwks"),
 * "https://idp.example/", "herald-api", Clock.systemUTC()).verify(token)}.
 */
public class TokenVerifier {

  static final String ISSUER = "herald";
  static final String TENANT_CLAIM = "tenant";
  static final String ROLES_CLAIM = "roles";
  static final String BRANDS_CLAIM = "brands";
  private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
  static final int REMEMBERED = 10_000;
  static final Duration REMEMBER_FOR = Duration.ofMinutes(5);

  private final ReactiveJwtDecoder decoder;
  private final Clock clock;
  private final Cache<String, Verified> verified =
      Caffeine.newBuilder().maximumSize(REMEMBERED).expireAfterWrite(REMEMBER_FOR).build();

  /** A token that passed every check, and the times within which it still does. */
  private record Verified(HeraldPrincipal principal, Instant expiresAt, Instant notBefore) {

    boolean holdsAt(Instant now) {
      return !expiresAt.plus(CLOCK_SKEW).isBefore(now)
          && (notBefore == null || !notBefore.minus(CLOCK_SKEW).isAfter(now));
    }
  }

  /** HS256 tokens of the local platform, issuer {@value #ISSUER}, no audience. */
  public TokenVerifier(byte[] secret, Clock clock) {
    NimbusReactiveJwtDecoder decoder =
        NimbusReactiveJwtDecoder.withSecretKey(
                new SecretKeySpec(TokenSecrets.requireStrong(secret), "HmacSHA256"))
            .macAlgorithm(MacAlgorithm.HS256)
            .build();
    decoder.setJwtValidator(validator(clock, ISSUER, null));
    this.decoder = decoder;
    this.clock = clock;
  }

  private TokenVerifier(ReactiveJwtDecoder decoder, Clock clock) {
    this.decoder = decoder;
    this.clock = clock;
  }

  /**
   * Tokens of an identity provider: signed (RS256, ES256 and the like) with a key its JWKS URL
   * publishes, from {@code issuer}, for {@code audience}.
   */
  public static TokenVerifier jwks(URI jwkSetUri, String issuer, String audience, Clock clock) {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(audience, "audience");
    NimbusReactiveJwtDecoder decoder =
        NimbusReactiveJwtDecoder.withJwkSetUri(jwkSetUri.toString())
            .jwsAlgorithms(
                algorithms -> {
                  algorithms.add(SignatureAlgorithm.RS256);
                  algorithms.add(SignatureAlgorithm.RS384);
                  algorithms.add(SignatureAlgorithm.RS512);
                  algorithms.add(SignatureAlgorithm.PS256);
                  algorithms.add(SignatureAlgorithm.ES256);
                  algorithms.add(SignatureAlgorithm.ES384);
                })
            .build();
    decoder.setJwtValidator(validator(clock, issuer, audience));
    return new TokenVerifier(decoder, clock);
  }

  /**
   * The principal of a valid token, or an {@link InvalidTokenException} whose message may be shown
   * to the caller.
   */
  public Mono<HeraldPrincipal> verify(String token) {
    Verified known = verified.getIfPresent(token);
    if (known != null) {
      if (known.holdsAt(Instant.now(clock))) {
        return Mono.just(known.principal());
      }
      // Expired since: the decoder refuses it with the reason.
      verified.invalidate(token);
    }
    try {
      // Only signed tokens reach the decoder, so the refusal of the others reads plainly.
      com.nimbusds.jwt.SignedJWT.parse(token);
    } catch (ParseException e) {
      return Mono.error(new InvalidTokenException("token is not a signed JWT"));
    }
    return decoder
        .decode(token)
        .onErrorMap(JwtException.class, TokenVerifier::explain)
        .map(
            jwt -> {
              HeraldPrincipal principal = principal(jwt);
              verified.put(token, new Verified(principal, jwt.getExpiresAt(), jwt.getNotBefore()));
              return principal;
            });
  }

  private static HeraldPrincipal principal(Jwt jwt) {
    try {
      return new HeraldPrincipal(
          jwt.getClaimAsString(TENANT_CLAIM),
          jwt.getSubject(),
          jwt.getClaimAsStringList(ROLES_CLAIM),
          jwt.getClaimAsStringList(BRANDS_CLAIM));
    } catch (IllegalArgumentException e) {
      throw new InvalidTokenException("token claims have the wrong types");
    }
  }

  private static InvalidTokenException explain(JwtException e) {
    if (e instanceof JwtValidationException invalid && !invalid.getErrors().isEmpty()) {
      return new InvalidTokenException(invalid.getErrors().iterator().next().getDescription());
    }
    StringBuilder causes = new StringBuilder();
    for (Throwable t = e; t != null && causes.length() < 2_000; t = t.getCause()) {
      causes.append(t.getMessage()).append('\n');
    }
    String message = causes.toString();
    if (message.contains("signature") || message.contains("no matching key")) {
      return new InvalidTokenException("token signature is not valid");
    }
    if (message.contains("algorithm") || message.contains("Algorithm")) {
      return new InvalidTokenException("token is signed with an algorithm that is not accepted");
    }
    if (e instanceof BadJwtException) {
      return new InvalidTokenException("token is not valid");
    }
    return new InvalidTokenException("token cannot be checked now");
  }

  private static OAuth2TokenValidator<Jwt> validator(Clock clock, String issuer, String audience) {
    List<OAuth2TokenValidator<Jwt>> rules = new ArrayList<>();
    rules.add(rule("token has no expiry", jwt -> jwt.getExpiresAt() != null));
    rules.add(
        rule(
            "token has expired",
            jwt -> !jwt.getExpiresAt().plus(CLOCK_SKEW).isBefore(Instant.now(clock))));
    rules.add(
        rule(
            "token is not valid yet",
            jwt ->
                jwt.getNotBefore() == null
                    || !jwt.getNotBefore().minus(CLOCK_SKEW).isAfter(Instant.now(clock))));
    rules.add(
        rule(
            "token issuer must be '" + issuer + "'",
            jwt -> issuer.equals(jwt.getClaimAsString("iss"))));
    if (audience != null) {
      rules.add(
          rule(
              "token audience must include '" + audience + "'",
              jwt -> jwt.getAudience() != null && jwt.getAudience().contains(audience)));
    }
    rules.add(
        rule(
            "token must carry 'sub' and 'tenant' claims",
            jwt -> !blank(jwt.getSubject()) && !blank(jwt.getClaimAsString(TENANT_CLAIM))));
    return new DelegatingOAuth2TokenValidator<>(rules);
  }

  private static OAuth2TokenValidator<Jwt> rule(String description, Predicate<Jwt> holds) {
    OAuth2Error error = new OAuth2Error("invalid_token", description, null);
    return jwt -> {
      try {
        return holds.test(jwt)
            ? OAuth2TokenValidatorResult.success()
            : OAuth2TokenValidatorResult.failure(error);
      } catch (RuntimeException e) {
        return OAuth2TokenValidatorResult.failure(error);
      }
    };
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
