package io.herald.gateway.idempotency;

/**
 * What the store knows of a key that another request holds or has answered.
 *
 * @param fingerprint the SHA-256 of the request that first used the key
 * @param response the stored answer, or null while that request is still in flight
 * @param retryAfterSeconds while in flight: how long its claim is held at most
 */
record IdempotencyRecord(byte[] fingerprint, StoredResponse response, long retryAfterSeconds) {}
