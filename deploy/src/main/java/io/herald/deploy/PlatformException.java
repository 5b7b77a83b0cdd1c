package io.herald.deploy;

/** The platform cannot start or run; the message tells the user what to do. */
public class PlatformException extends RuntimeException {

  public PlatformException(String message) {
    super(message);
  }

  public PlatformException(String message, Throwable cause) {
    super(message, cause);
  }
}
