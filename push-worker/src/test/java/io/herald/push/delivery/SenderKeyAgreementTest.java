package io.herald.push.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import io.herald.support.crypto.P256;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both P-256 engines against the JDK's ECDH, playing the browser: the secret a sender computes is
 * the one the subscriber computes from the sender's public key.
 */
class SenderKeyAgreementTest {

  /** Bouncy Castle everywhere; AWS-LC where its native library loads (see the last test). */
  static Stream<SenderKeyAgreement> engines() {
    Stream<SenderKeyAgreement> portable = Stream.of(SenderKeyAgreement.bouncyCastle());
    return AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError() == null
        ? Stream.concat(Stream.of(SenderKeyAgreement.nativeEngine()), portable)
        : portable;
  }

  @ParameterizedTest
  @MethodSource("engines")
  void shouldAgreeOnTheSecretTheSubscriberComputes(SenderKeyAgreement engine) throws Exception {
    KeyPair browser = P256.generate();
    byte[] subscriberPublic = P256.uncompressed((ECPublicKey) browser.getPublic());

    SenderKeyAgreement.Agreement agreement = engine.agree(subscriberPublic);

    assertThat(agreement.senderPublic()).hasSize(65);
    assertThat(agreement.senderPublic()[0]).isEqualTo((byte) 0x04);
    KeyAgreement jdk = KeyAgreement.getInstance("ECDH");
    jdk.init(browser.getPrivate());
    jdk.doPhase(P256.publicKey(agreement.senderPublic()), true);
    assertThat(agreement.secret()).hasSize(32).isEqualTo(jdk.generateSecret());
  }

  @ParameterizedTest
  @MethodSource("engines")
  void shouldUseAFreshSenderKeyForEveryMessage(SenderKeyAgreement engine) throws Exception {
    byte[] subscriberPublic = P256.uncompressed((ECPublicKey) P256.generate().getPublic());
    Set<String> senderKeys = new HashSet<>();

    for (int i = 0; i < 20; i++) {
      senderKeys.add(P256.base64Url(engine.agree(subscriberPublic).senderPublic()));
    }

    assertThat(senderKeys).hasSize(20);
  }

  @ParameterizedTest
  @MethodSource("engines")
  void shouldRefuseAPointOffTheCurve(SenderKeyAgreement engine) throws Exception {
    byte[] point = P256.uncompressed((ECPublicKey) P256.generate().getPublic());
    point[64] ^= 0x01;

    assertThatThrownBy(() -> engine.agree(point)).isInstanceOf(GeneralSecurityException.class);
  }

  @ParameterizedTest
  @MethodSource("engines")
  void shouldRefuseACompressedOrTruncatedKey(SenderKeyAgreement engine) throws Exception {
    byte[] point = P256.uncompressed((ECPublicKey) P256.generate().getPublic());

    assertThatThrownBy(() -> engine.agree(Arrays.copyOf(point, 33)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("uncompressed");
  }

  @Test
  @EnabledOnOs(
      value = OS.LINUX,
      architectures = {"amd64", "aarch64"})
  void shouldPickTheNativeEngineWhereItIsBuilt() {
    assertThat(SenderKeyAgreement.fastest().name()).startsWith("AWS-LC");
  }
}
