package io.herald.push.delivery;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.herald.worker.ProviderHttp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OAuth 2.0 access tokens for FCM from a service account (the JWT bearer grant of RFC 7523): a JWT
 * signed with the account's RSA key is exchanged at its {@code token_uri}. A token is reused until
 * a minute before it expires, and one exchange serves every send that waits for it.
 */
final class GoogleAccessTokens {

  static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
  private static final Duration EARLY = Duration.ofMinutes(1);

  /** A token and when to stop using it. */
  private record Token(String value, Instant refreshAt) {}

  /** The exchange failed; {@code permanent} when the credentials themselves were refused. */
  static final class TokenException extends RuntimeException {
    final boolean permanent;

    TokenException(String message, boolean permanent) {
      super(message);
      this.permanent = permanent;
    }
  }

  private final ServiceAccount account;
  private final String tokenUrl;
  private final WebClient client;
  private final JsonMapper json;
  private final Clock clock;
  private CompletableFuture<Token> current;

  GoogleAccessTokens(
      ServiceAccount account, String tokenUrl, WebClient client, JsonMapper json, Clock clock) {
    this.account = account;
    this.tokenUrl = tokenUrl == null || tokenUrl.isBlank() ? account.tokenUri() : tokenUrl;
    this.client = client;
    this.json = json;
    this.clock = clock;
  }

  synchronized CompletableFuture<String> token() {
    if (current == null
        || current.isCompletedExceptionally()
        || (current.isDone() && !clock.instant().isBefore(current.join().refreshAt()))) {
      current = exchange();
    }
    return current.thenApply(Token::value);
  }

  /** Forgets a token the API refused, so that the next send fetches a new one. */
  synchronized void refused(String token) {
    if (current != null
        && current.isDone()
        && !current.isCompletedExceptionally()
        && current.join().value().equals(token)) {
      current = null;
    }
  }

  private CompletableFuture<Token> exchange() {
    String assertion;
    try {
      assertion = assertion();
    } catch (JOSEException e) {
      return CompletableFuture.failedFuture(
          new TokenException("cannot sign: " + e.getMessage(), true));
    }
    return ProviderHttp.exchange(
            client
                .post()
                .uri(tokenUrl)
                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                .body(
                    BodyInserters.fromFormData(
                            "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                        .with("assertion", assertion)))
        .thenApply(
            response -> {
              if (!response.ok()) {
                throw new TokenException(
                    "token endpoint answered " + response.status() + ": " + response.body(),
                    response.status() == 400 || response.status() == 401);
              }
              JsonNode body = json.readTree(response.body());
              String token = body.path("access_token").asString("");
              if (token.isBlank()) {
                throw new TokenException("token endpoint answered without access_token", false);
              }
              long expiresIn = body.path("expires_in").asLong(3600);
              return new Token(token, clock.instant().plusSeconds(expiresIn).minus(EARLY));
            });
  }

  private String assertion() throws JOSEException {
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(account.clientEmail())
            .audience(tokenUrl)
            .claim("scope", SCOPE)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
            .build();
    JWSHeader.Builder header = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT);
    if (account.privateKeyId() != null) {
      header.keyID(account.privateKeyId());
    }
    SignedJWT jwt = new SignedJWT(header.build(), claims);
    jwt.sign(new RSASSASigner(account.privateKey()));
    return jwt.serialize();
  }
}
