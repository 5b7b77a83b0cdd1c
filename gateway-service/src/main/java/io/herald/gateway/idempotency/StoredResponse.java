package io.herald.gateway.idempotency;

/**
 * The first answer to a key, replayed as it was.
 *
 * @param status its HTTP status
 * @param contentType its {@code Content-Type}, or null without a body
 * @param location its {@code Location}, or null
 * @param body its body, empty when it had none
 */
record StoredResponse(int status, String contentType, String location, byte[] body) {}
