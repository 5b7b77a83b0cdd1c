package io.herald.publishing.connections;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts platform tokens at rest with AES-256-GCM. Each ciphertext is stored with the id of the
 * key that made it, so keys can rotate: new tokens use the active key, old ones stay readable while
 * their key is configured. The connection id is bound to the ciphertext as associated data, so a
 * ciphertext copied to another connection does not decrypt.
 *
 * <p>Example: {@code new TokenCipher(Map.of("k1", key32Bytes), "k1").encrypt("c-1", token)}.
 */
public final class TokenCipher {

  /** A ciphertext and the key it needs. */
  public record Sealed(String keyId, byte[] ciphertext) {}

  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, SecretKeySpec> keys;
  private final String activeKeyId;

  public TokenCipher(Map<String, byte[]> keys, String activeKeyId) {
    if (!keys.containsKey(activeKeyId)) {
      throw new IllegalArgumentException("no key " + activeKeyId + " among " + keys.keySet());
    }
    keys.forEach(
        (id, key) -> {
          if (key.length != 32) {
            throw new IllegalArgumentException("token key " + id + " must be 32 bytes");
          }
        });
    this.keys =
        Map.copyOf(
            keys.entrySet().stream()
                .collect(
                    java.util.stream.Collectors.toMap(
                        Map.Entry::getKey, e -> new SecretKeySpec(e.getValue(), "AES"))));
    this.activeKeyId = activeKeyId;
  }

  /** Keys given as base64 (standard or URL alphabet). */
  public static TokenCipher fromBase64(Map<String, String> keys, String activeKeyId) {
    return new TokenCipher(
        keys.entrySet().stream()
            .collect(
                java.util.stream.Collectors.toMap(
                    Map.Entry::getKey,
                    e ->
                        Base64.getDecoder()
                            .decode(e.getValue().trim().replace('-', '+').replace('_', '/')))),
        activeKeyId);
  }

  public Sealed encrypt(String connectionId, String plaintext) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(activeKeyId), new GCMParameterSpec(128, nonce));
      cipher.updateAAD(connectionId.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      return new Sealed(
          activeKeyId,
          ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt a token", e);
    }
  }

  /**
   * @throws IllegalStateException when the key is not configured or the ciphertext was altered
   */
  public String decrypt(String connectionId, Sealed sealed) {
    SecretKeySpec key = keys.get(sealed.keyId());
    if (key == null) {
      throw new IllegalStateException("token key " + sealed.keyId() + " is not configured");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed.ciphertext(), 0, NONCE_BYTES));
      cipher.updateAAD(connectionId.getBytes(StandardCharsets.UTF_8));
      byte[] plain =
          cipher.doFinal(
              sealed.ciphertext(), NONCE_BYTES, sealed.ciphertext().length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a token does not decrypt with key " + sealed.keyId(), e);
    }
  }
}
