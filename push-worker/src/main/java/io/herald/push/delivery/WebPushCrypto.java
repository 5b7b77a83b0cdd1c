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
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.agreement.ECDHBasicAgreement;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

/**
 * Message encryption for Web Push (RFC 8291) in the {@code aes128gcm} content coding (RFC 8188):
 * the P-256 key agreement on Bouncy Castle's lightweight API (the JDK's costs about three times as
 * much CPU per message), HKDF and AES-GCM on the JDK's.
 *
 * <p>Example: {@code WebPushCrypto.encrypt(payload, p256dh, auth)} gives the request body for the
 * subscription whose keys a browser reported as {@code p256dh} and {@code auth} (base64url).
 */
final class WebPushCrypto {

  static final int RECORD_SIZE = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN =
      new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());

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
    ECPoint subscriber;
    try {
      // Checks the point is on the curve (P-256 has cofactor 1: no order check is needed).
      subscriber = CURVE.getCurve().decodePoint(uaPublic);
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("p256dh is not a P-256 public key: " + e.getMessage());
    }
    // A fresh key pair for every message, as RFC 8291 asks.
    ECKeyPairGenerator generator = new ECKeyPairGenerator();
    generator.init(new ECKeyGenerationParameters(DOMAIN, RANDOM));
    AsymmetricCipherKeyPair ephemeral = generator.generateKeyPair();
    byte[] asPublic = ((ECPublicKeyParameters) ephemeral.getPublic()).getQ().getEncoded(false);
    ECDHBasicAgreement agreement = new ECDHBasicAgreement();
    agreement.init(ephemeral.getPrivate());
    byte[] ecdhSecret =
        BigIntegers.asUnsignedByteArray(
            32, agreement.calculateAgreement(new ECPublicKeyParameters(subscriber, DOMAIN)));
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
