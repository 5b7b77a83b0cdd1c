package io.herald.gateway.errors;

/** The broker did not acknowledge a command in time; nothing was accepted. */
public class BrokerUnavailableException extends RuntimeException {

  public BrokerUnavailableException(Throwable cause) {
    super("the event broker did not acknowledge the command in time", cause);
  }
}
