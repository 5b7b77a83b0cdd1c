package io.herald.support.security;

/** A bearer token was refused; the message is safe to show to the caller. */
public class InvalidTokenException extends RuntimeException {

  public InvalidTokenException(String message) {
    super(message);
  }
}
