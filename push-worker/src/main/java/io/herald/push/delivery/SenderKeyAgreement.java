package io.herald.push.delivery;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import io.herald.support.crypto.P256;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import javax.crypto.KeyAgreement;
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
 * The P-256 half of Web Push encryption (RFC 8291 section 3.1): a fresh sender key pair for one
 * message and its ECDH secret with the subscriber's public key. These two scalar multiplications
 * are most of the CPU a Web Push delivery costs, so the fastest engine that loads is used: AWS-LC
 * through the Amazon Corretto Crypto Provider (native, Linux x86-64 and aarch64), otherwise Bouncy
 * Castle's pure-Java P-256.
 *
 * <p>Example: {@code SenderKeyAgreement.fastest().agree(p256dh)} gives the sender's public key (the
 * {@code keyid} of the record) and the 32-byte shared secret.
 */
abstract class SenderKeyAgreement {

  /** The sender's public key as an uncompressed point, and the ECDH secret (its X coordinate). */
  record Agreement(byte[] senderPublic, byte[] secret) {}

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final SenderKeyAgreement FASTEST = choose();

  /** The engine every message uses. */
  static SenderKeyAgreement fastest() {
    return FASTEST;
  }

  /** The native engine, or the reason it is unavailable on this machine. */
  static SenderKeyAgreement nativeEngine() {
    Throwable error = AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError();
    if (error != null) {
      throw new IllegalStateException("AWS-LC is not available here: " + error, error);
    }
    return new Native(AmazonCorrettoCryptoProvider.INSTANCE);
  }

  static SenderKeyAgreement bouncyCastle() {
    return new BouncyCastle();
  }

  /**
   * Agrees on a secret with the subscriber whose public key is the 65-byte uncompressed point
   * {@code subscriberPublic}; refuses a point that is not on the curve.
   */
  abstract Agreement agree(byte[] subscriberPublic) throws GeneralSecurityException;

  /** What the logs and metrics call this engine. */
  abstract String name();

  private static SenderKeyAgreement choose() {
    try {
      return nativeEngine();
    } catch (IllegalStateException | LinkageError e) {
      return bouncyCastle();
    }
  }

  private static void requireUncompressed(byte[] point) throws GeneralSecurityException {
    if (point.length != 65 || point[0] != 0x04) {
      throw new GeneralSecurityException(
          "p256dh is not an uncompressed P-256 public key (" + point.length + " bytes)");
    }
  }

  /** AWS-LC: key generation and ECDH in native code, with point validation on decoding. */
  private static final class Native extends SenderKeyAgreement {

    /** The X.509 SubjectPublicKeyInfo prefix of an uncompressed P-256 point. */
    private static final byte[] SPKI_PREFIX =
        HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

    private final Provider provider;
    private final ThreadLocal<KeyPairGenerator> generators;
    private final ThreadLocal<KeyFactory> factories;
    private final ThreadLocal<KeyAgreement> agreements;

    private Native(Provider provider) {
      this.provider = provider;
      this.generators =
          ThreadLocal.withInitial(
              () ->
                  instance(
                      () -> {
                        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
                        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
                        return generator;
                      }));
      this.factories =
          ThreadLocal.withInitial(() -> instance(() -> KeyFactory.getInstance("EC", provider)));
      this.agreements =
          ThreadLocal.withInitial(() -> instance(() -> KeyAgreement.getInstance("ECDH", provider)));
    }

    @Override
    Agreement agree(byte[] subscriberPublic) throws GeneralSecurityException {
      requireUncompressed(subscriberPublic);
      byte[] encoded = new byte[SPKI_PREFIX.length + 65];
      System.arraycopy(SPKI_PREFIX, 0, encoded, 0, SPKI_PREFIX.length);
      System.arraycopy(subscriberPublic, 0, encoded, SPKI_PREFIX.length, 65);
      PublicKey subscriber = factories.get().generatePublic(new X509EncodedKeySpec(encoded));
      KeyPair sender = generators.get().generateKeyPair();
      KeyAgreement agreement = agreements.get();
      agreement.init(sender.getPrivate());
      agreement.doPhase(subscriber, true);
      return new Agreement(
          P256.uncompressed((ECPublicKey) sender.getPublic()), agreement.generateSecret());
    }

    @Override
    String name() {
      return ((AmazonCorrettoCryptoProvider) provider).getAwsLcVersionStr();
    }

    private interface Lookup<T> {
      T get() throws GeneralSecurityException;
    }

    private static <T> T instance(Lookup<T> lookup) {
      try {
        return lookup.get();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("P-256 unavailable in AWS-LC", e);
      }
    }
  }

  /** Bouncy Castle's lightweight API on its specialised P-256 field arithmetic. */
  private static final class BouncyCastle extends SenderKeyAgreement {

    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
    private static final ECDomainParameters DOMAIN =
        new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());

    @Override
    Agreement agree(byte[] subscriberPublic) throws GeneralSecurityException {
      requireUncompressed(subscriberPublic);
      ECPoint subscriber;
      try {
        // Checks the point is on the curve (P-256 has cofactor 1: no order check is needed).
        subscriber = CURVE.getCurve().decodePoint(subscriberPublic);
      } catch (IllegalArgumentException e) {
        throw new GeneralSecurityException("p256dh is not a P-256 public key: " + e.getMessage());
      }
      ECKeyPairGenerator generator = new ECKeyPairGenerator();
      generator.init(new ECKeyGenerationParameters(DOMAIN, RANDOM));
      AsymmetricCipherKeyPair sender = generator.generateKeyPair();
      ECDHBasicAgreement agreement = new ECDHBasicAgreement();
      agreement.init(sender.getPrivate());
      byte[] secret =
          BigIntegers.asUnsignedByteArray(
              32, agreement.calculateAgreement(new ECPublicKeyParameters(subscriber, DOMAIN)));
      return new Agreement(
          ((ECPublicKeyParameters) sender.getPublic()).getQ().getEncoded(false), secret);
    }

    @Override
    String name() {
      return "bouncy-castle";
    }
  }
}
