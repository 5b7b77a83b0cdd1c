package io.herald.push.delivery;

import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fields of a Google service-account JSON key that the OAuth 2.0 JWT bearer grant needs.
 *
 * @param tokenUri where the signed assertion is exchanged for an access token
 */
record ServiceAccount(
    String projectId,
    String clientEmail,
    String privateKeyId,
    RSAPrivateKey privateKey,
    String tokenUri) {

  static ServiceAccount parse(String json, JsonMapper mapper) {
    JsonNode key = mapper.readTree(json);
    String pem = key.path("private_key").asString("");
    String base64 =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    try {
      RSAPrivateKey privateKey =
          (RSAPrivateKey)
              KeyFactory.getInstance("RSA")
                  .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
      return new ServiceAccount(
          required(key, "project_id"),
          required(key, "client_email"),
          key.path("private_key_id").asString(null),
          privateKey,
          key.path("token_uri").asString("https://oauth2.googleapis.com/token"));
    } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "the service account's private_key is not a PKCS#8 RSA key", e);
    }
  }

  private static String required(JsonNode key, String field) {
    String value = key.path(field).asString("");
    if (value.isBlank()) {
      throw new IllegalStateException("the service account key has no " + field);
    }
    return value;
  }
}
