package io.herald.support.security;

/** Rules for the shared HS256 secret. */
public final class TokenSecrets {

  /** HS256 needs a key at least as long as its 256-bit hash. */
  public static final int MINIMUM_BYTES = 32;

  private TokenSecrets() {}

  static byte[] requireStrong(byte[] secret) {
    if (secret == null || secret.length < MINIMUM_BYTES) {
      throw new IllegalArgumentException(
          "the token secret (HERALD_JWT_SECRET) must be at least " + MINIMUM_BYTES + " bytes");
    }
    return secret;
  }
}
