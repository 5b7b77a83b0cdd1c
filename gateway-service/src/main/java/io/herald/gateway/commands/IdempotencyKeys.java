package io.herald.gateway.commands;

import io.herald.gateway.errors.InvalidIdempotencyKeyException;
import io.herald.support.security.HeraldPrincipal;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The {@code Idempotency-Key} header of commands: the same key from the same user of the same
 * tenant always yields the same id (request id, post id), so a retried command produces an event
 * its consumer has already applied.
 *
 * <p>Example: {@code IdempotencyKeys.id(caller, "order-1042")}.
 */
public final class IdempotencyKeys {

  public static final String HEADER = "Idempotency-Key";
  private static final Pattern FORMAT = Pattern.compile("[\\x21-\\x7e]{1,255}");

  private IdempotencyKeys() {}

  /** A key of 1-255 printable ASCII characters without spaces. */
  public static boolean isValid(String key) {
    return FORMAT.matcher(key).matches();
  }

  /**
   * @throws InvalidIdempotencyKeyException for a key that is empty, too long or not printable
   */
  public static void check(String key) {
    if (key != null && !FORMAT.matcher(key).matches()) {
      throw new InvalidIdempotencyKeyException();
    }
  }

  /** Stable for a key within one caller's scope; random without a key. */
  public static String id(HeraldPrincipal caller, String key) {
    if (key == null) {
      return UUID.randomUUID().toString();
    }
    String scope = caller.tenantId() + '\u0000' + caller.userId() + '\u0000' + key;
    return UUID.nameUUIDFromBytes(scope.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
