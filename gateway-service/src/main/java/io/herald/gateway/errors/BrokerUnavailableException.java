package io.herald.gateway.errors;

/**
 * The broker did not acknowledge a command in time. Either the record never left the gateway
 * ({@link #notSent}: nothing was accepted) or it left and its acknowledgement did not come back
 * ({@link #unconfirmed}: the broker may still have it).
 */
public class BrokerUnavailableException extends RuntimeException {

  private final boolean mayHaveBeenAccepted;

  private BrokerUnavailableException(String message, boolean mayHaveBeenAccepted, Throwable cause) {
    super(message, cause);
    this.mayHaveBeenAccepted = mayHaveBeenAccepted;
  }

  public static BrokerUnavailableException notSent(Throwable cause) {
    return new BrokerUnavailableException("the command never reached the broker", false, cause);
  }

  public static BrokerUnavailableException unconfirmed(Throwable cause) {
    return new BrokerUnavailableException(
        "the broker did not confirm the command in time", true, cause);
  }

  /** Whether the broker may have the command although it did not confirm it. */
  public boolean mayHaveBeenAccepted() {
    return mayHaveBeenAccepted;
  }
}
