package io.herald.email.delivery;

/** The delivery can never succeed as it is; it goes to the dead-letter topic without retries. */
class InvalidRecipientException extends RuntimeException {

  InvalidRecipientException(String message) {
    super(message);
  }
}
