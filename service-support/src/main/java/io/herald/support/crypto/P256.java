package io.herald.support.crypto;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * P-256 keys in the forms Web Push uses: public keys as the 65-byte uncompressed point (what
 * browsers report as {@code p256dh} and take as {@code applicationServerKey}), private keys as the
 * 32-byte scalar, both base64url without padding.
 *
 * <p>Example: {@code P256.base64Url(P256.uncompressed((ECPublicKey) P256.generate().getPublic()))}.
 */
public final class P256 {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ECParameterSpec PARAMETERS = parameters();

  private P256() {}

  public static KeyPair generate() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  /** 0x04, X, Y. */
  public static byte[] uncompressed(ECPublicKey key) {
    byte[] out = new byte[65];
    out[0] = 0x04;
    copyUnsigned(key.getW().getAffineX(), out, 1);
    copyUnsigned(key.getW().getAffineY(), out, 33);
    return out;
  }

  public static ECPublicKey publicKey(byte[] uncompressed) throws GeneralSecurityException {
    if (uncompressed.length != 65 || uncompressed[0] != 0x04) {
      throw new GeneralSecurityException("not an uncompressed P-256 point");
    }
    ECPoint point =
        new ECPoint(
            new BigInteger(1, Arrays.copyOfRange(uncompressed, 1, 33)),
            new BigInteger(1, Arrays.copyOfRange(uncompressed, 33, 65)));
    return (ECPublicKey)
        KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, PARAMETERS));
  }

  public static ECPrivateKey privateKey(byte[] scalar) throws GeneralSecurityException {
    return (ECPrivateKey)
        KeyFactory.getInstance("EC")
            .generatePrivate(new ECPrivateKeySpec(new BigInteger(1, scalar), PARAMETERS));
  }

  public static byte[] scalar(ECPrivateKey key) {
    byte[] out = new byte[32];
    copyUnsigned(key.getS(), out, 0);
    return out;
  }

  /** Decodes base64url, tolerating padding and the standard alphabet. */
  public static byte[] base64Url(String value) {
    return Base64.getUrlDecoder()
        .decode(value.trim().replace('+', '-').replace('/', '_').replace("=", ""));
  }

  public static String base64Url(byte[] value) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(value);
  }

  private static void copyUnsigned(BigInteger value, byte[] out, int offset) {
    byte[] bytes = value.toByteArray();
    int start = bytes.length > 32 ? bytes.length - 32 : 0;
    int length = bytes.length - start;
    System.arraycopy(bytes, start, out, offset + 32 - length, length);
  }

  private static ECParameterSpec parameters() {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp256r1"));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 is not available", e);
    }
  }
}
