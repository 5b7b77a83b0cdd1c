package io.herald.publishing.connections;

import java.time.Instant;

/**
 * A brand's account on a platform, with its access token decrypted for the call about to be made.
 * {@link #toString()} leaves the token out, so it never reaches a log.
 */
public record PlatformConnection(
    String tenantId,
    String connectionId,
    String brandId,
    String platform,
    String accountId,
    String accountName,
    String status,
    String accessToken,
    Instant expiresAt) {

  @Override
  public String toString() {
    return "PlatformConnection["
        + tenantId
        + "/"
        + connectionId
        + " "
        + platform
        + " "
        + accountId
        + " "
        + status
        + "]";
  }
}
