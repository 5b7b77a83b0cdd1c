package io.herald.gateway.errors;

/** An {@code Idempotency-Key} header that is empty, too long or not printable ASCII. */
public class InvalidIdempotencyKeyException extends RuntimeException {

  public InvalidIdempotencyKeyException() {
    super("Idempotency-Key must be 1-255 printable ASCII characters without spaces");
  }
}
