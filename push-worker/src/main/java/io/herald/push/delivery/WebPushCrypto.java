package io.herald.push.delivery;

import io.herald.support.crypto.P256;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Message encryption for Web Push (RFC 8291) in the {@code aes128gcm} content coding (RFC 8188):
 * the P-256 key agreement on the fastest engine that loads ({@link SenderKeyAgreement}), HKDF and
 * AES-GCM on the JDK's.
 *
 * <p>Example: {@code WebPushCrypto.encrypt(payload, p256dh, auth)} gives the request body for the
 * subscription whose keys a browser reported as {@code p256dh} and {@code auth} (base64url).
 */
final class WebPushCrypto {

  static final int RECORD_SIZE = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebPushCrypto() {}

  /** The {@code aes128gcm} body: salt, record size, the sender's public key, one record. */
  static byte[] encrypt(byte[] plaintext, String p256dh, String auth)
      throws GeneralSecurityException {
    if (plaintext.length + 1 + 16 > RECORD_SIZE) {
      throw new GeneralSecurityException(
          "payload of "
              + plaintext.length
              + " bytes does not fit one "
              + RECORD_SIZE
              + "-byte record");
    }
    byte[] uaPublic = P256.base64Url(p256dh);
    byte[] authSecret = P256.base64Url(auth);
    // A fresh sender key pair for every message, as RFC 8291 asks.
    SenderKeyAgreement.Agreement agreement = SenderKeyAgreement.fastest().agree(uaPublic);
    byte[] asPublic = agreement.senderPublic();
    byte[] ecdhSecret = agreement.secret();
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    Keys keys = keys(ecdhSecret, authSecret, uaPublic, asPublic, salt);

    byte[] padded = Arrays.copyOf(plaintext, plaintext.length + 1);
    padded[plaintext.length] = 0x02; // delimiter of the last (only) record
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.ENCRYPT_MODE,
        new SecretKeySpec(keys.cek(), "AES"),
        new GCMParameterSpec(128, keys.nonce()));
    byte[] ciphertext = cipher.doFinal(padded);

    ByteBuffer body = ByteBuffer.allocate(16 + 4 + 1 + asPublic.length + ciphertext.length);
    body.put(salt).putInt(RECORD_SIZE).put((byte) asPublic.length).put(asPublic).put(ciphertext);
    return body.array();
  }

  /** Content-encryption key and nonce, derived as RFC 8291 section 3.4 describes. */
  record Keys(byte[] cek, byte[] nonce) {}

  static Keys keys(
      byte[] ecdhSecret, byte[] authSecret, byte[] uaPublic, byte[] asPublic, byte[] salt)
      throws GeneralSecurityException {
    byte[] prkKey = hmac(authSecret, ecdhSecret);
    ByteArrayOutputStream keyInfo = new ByteArrayOutputStream();
    keyInfo.writeBytes("WebPush: info".getBytes(StandardCharsets.US_ASCII));
    keyInfo.write(0);
    keyInfo.writeBytes(uaPublic);
    keyInfo.writeBytes(asPublic);
    byte[] ikm = expand(prkKey, keyInfo.toByteArray(), 32);
    byte[] prk = hmac(salt, ikm);
    byte[] cek = expand(prk, info("Content-Encoding: aes128gcm"), 16);
    byte[] nonce = expand(prk, info("Content-Encoding: nonce"), 12);
    return new Keys(cek, nonce);
  }

  private static byte[] info(String label) {
    byte[] text = label.getBytes(StandardCharsets.US_ASCII);
    return Arrays.copyOf(text, text.length + 1);
  }

  /** HKDF-Expand of one block (RFC 5869), which covers every length used here. */
  private static byte[] expand(byte[] prk, byte[] info, int length)
      throws GeneralSecurityException {
    byte[] input = Arrays.copyOf(info, info.length + 1);
    input[info.length] = 0x01;
    return Arrays.copyOf(hmac(prk, input), length);
  }

  private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }
}
