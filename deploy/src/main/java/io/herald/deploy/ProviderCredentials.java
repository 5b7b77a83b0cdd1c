package io.herald.deploy;

import io.herald.support.crypto.P256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The provider credentials of the local platform, made once per data folder ({@code
 * .herald/credentials}) and kept across runs: a Google service-account key whose token endpoint is
 * the simulator, a VAPID key pair, the WhatsApp app secret, verify token and access token, and the
 * browser side of the demo Web Push subscription (so that its messages can be decrypted).
 */
final class ProviderCredentials {

  static final String WHATSAPP_PHONE_NUMBER_ID = "106540352242922";
  static final String TOKEN_KEY = "publishing.token-key";
  static final String LINKEDIN_SECRET = "linkedin.client-secret";
  static final String FACEBOOK_SECRET = "facebook.app-secret";

  private final Path dir;
  private final Properties values = new Properties();

  private ProviderCredentials(Path dir) {
    this.dir = dir;
  }

  static ProviderCredentials in(Path data, String simulatorsBase) {
    ProviderCredentials credentials = new ProviderCredentials(data.resolve("credentials"));
    credentials.load(simulatorsBase);
    return credentials;
  }

  String get(String key) {
    return values.getProperty(key);
  }

  Path serviceAccountFile() {
    return dir.resolve("firebase-service-account.json");
  }

  private void load(String simulatorsBase) {
    Path file = dir.resolve("credentials.properties");
    try {
      Files.createDirectories(dir);
      if (Files.exists(file)) {
        try (var in = Files.newBufferedReader(file)) {
          values.load(in);
        }
        if (values.getProperty(TOKEN_KEY) == null || values.getProperty(LINKEDIN_SECRET) == null) {
          // A data folder from before platform tokens were sealed, or before LinkedIn and Facebook.
          values.putIfAbsent(TOKEN_KEY, tokenKey());
          values.putIfAbsent(LINKEDIN_SECRET, random(16));
          values.putIfAbsent(FACEBOOK_SECRET, random(16));
          try (var out = Files.newBufferedWriter(file)) {
            values.store(
                out, "Provider credentials of the local platform (simulated providers only)");
          }
        }
      } else {
        create(simulatorsBase);
        try (var out = Files.newBufferedWriter(file)) {
          values.store(
              out, "Provider credentials of the local platform (simulated providers only)");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate provider keys", e);
    }
  }

  private void create(String simulatorsBase) throws IOException, GeneralSecurityException {
    values.setProperty("whatsapp.app-secret", random(32));
    values.setProperty("whatsapp.verify-token", random(16));
    values.setProperty("whatsapp.access-token", "EAAG" + random(24));
    values.setProperty("sendgrid.api-key", "SG." + random(24));
    values.setProperty(TOKEN_KEY, tokenKey());
    values.setProperty(LINKEDIN_SECRET, random(16));
    values.setProperty(FACEBOOK_SECRET, random(16));

    KeyPair vapid = P256.generate();
    values.setProperty(
        "vapid.public-key", P256.base64Url(P256.uncompressed((ECPublicKey) vapid.getPublic())));
    values.setProperty(
        "vapid.private-key", P256.base64Url(P256.scalar((ECPrivateKey) vapid.getPrivate())));

    KeyPair browser = P256.generate();
    byte[] auth = new byte[16];
    new SecureRandom().nextBytes(auth);
    values.setProperty(
        "demo-subscription.p256dh",
        P256.base64Url(P256.uncompressed((ECPublicKey) browser.getPublic())));
    values.setProperty(
        "demo-subscription.private-key",
        P256.base64Url(P256.scalar((ECPrivateKey) browser.getPrivate())));
    values.setProperty("demo-subscription.auth", P256.base64Url(auth));

    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    KeyPair google = rsa.generateKeyPair();
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(google.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Map<String, String> key = new LinkedHashMap<>();
    key.put("type", "service_account");
    key.put("project_id", "herald-local");
    key.put("private_key_id", random(8));
    key.put("private_key", pem);
    key.put("client_email", "herald-push@herald-local.iam.gserviceaccount.com");
    key.put("token_uri", simulatorsBase + "/token");
    Files.writeString(
        serviceAccountFile(),
        tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(key));
  }

  /** 32 random bytes, base64: the AES-256 key that seals platform tokens at rest. */
  private static String tokenKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  private static String random(int bytes) {
    byte[] random = new byte[bytes];
    new SecureRandom().nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }
}
