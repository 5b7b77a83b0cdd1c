package io.herald.deploy.simulators;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The authorization-code half of an OAuth 2.0 server, as the simulated platforms share it: the
 * authorize endpoint "approves" at once with a one-time code bound to the client, the redirect URI
 * and the PKCE challenge; the token endpoint redeems a code once, within 30 s, for the same client
 * and redirect URI and, where a challenge was given, a verifier whose SHA-256 is that challenge.
 * Also the small HTTP helpers the simulators share.
 */
final class AuthorizationCodes {

  private static final SecureRandom RANDOM = new SecureRandom();

  private record Grant(String clientId, String redirectUri, String challenge, Instant expiresAt) {}

  private final Map<String, Grant> codes = new ConcurrentHashMap<>();

  /**
   * A 302 to the redirect URI with the state and a fresh code, or null when a required parameter is
   * missing (the caller answers in its platform's error shape).
   *
   * @param pkceRequired whether the platform refuses an authorization without {@code
   *     code_challenge} (S256)
   */
  ResponseDefinition approve(Map<String, String> query, boolean pkceRequired) {
    for (String required : new String[] {"response_type", "client_id", "redirect_uri", "state"}) {
      if (!query.containsKey(required)) {
        return null;
      }
    }
    boolean challenged = query.containsKey("code_challenge");
    if (!"code".equals(query.get("response_type"))
        || (pkceRequired && !challenged)
        || (challenged && !"S256".equals(query.get("code_challenge_method")))) {
      return null;
    }
    String code = random(32);
    codes.put(
        code,
        new Grant(
            query.get("client_id"),
            query.get("redirect_uri"),
            query.get("code_challenge"),
            Instant.now().plusSeconds(30)));
    String redirect = query.get("redirect_uri");
    String location =
        redirect
            + (redirect.contains("?") ? "&" : "?")
            + "state="
            + URLEncoder.encode(query.get("state"), StandardCharsets.UTF_8)
            + "&code="
            + code;
    return new ResponseDefinitionBuilder().withStatus(302).withHeader("Location", location).build();
  }

  /** Redeems a code once: true when client, redirect URI and verifier are the code's. */
  boolean redeem(String code, String clientId, String redirectUri, String verifier) {
    Grant grant = code == null ? null : codes.remove(code);
    return grant != null
        && grant.expiresAt().isAfter(Instant.now())
        && grant.clientId().equals(clientId)
        && grant.redirectUri().equals(redirectUri)
        && (grant.challenge() == null
            || (verifier != null && grant.challenge().equals(s256(verifier))));
  }

  static ResponseDefinition json(int status, String body) {
    return new ResponseDefinitionBuilder()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body)
        .build();
  }

  /** An {@code application/x-www-form-urlencoded} body or query string. */
  static Map<String, String> form(String encoded) {
    Map<String, String> values = new HashMap<>();
    if (encoded == null || encoded.isBlank()) {
      return values;
    }
    for (String pair : encoded.split("&")) {
      String[] kv = pair.split("=", 2);
      values.put(
          URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
    }
    return values;
  }

  static Map<String, String> query(Request request) {
    String url = request.getUrl();
    return form(url.contains("?") ? url.split("\\?", 2)[1] : "");
  }

  static String bearer(Request request) {
    String authorization = request.getHeader("Authorization");
    return authorization == null ? "" : authorization.replaceFirst("^Bearer ", "");
  }

  static String random(int bytes) {
    byte[] value = new byte[bytes];
    RANDOM.nextBytes(value);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(value);
  }

  private static String s256(String verifier) {
    try {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              MessageDigest.getInstance("SHA-256")
                  .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
