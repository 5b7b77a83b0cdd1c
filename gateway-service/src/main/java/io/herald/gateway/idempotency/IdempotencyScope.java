package io.herald.gateway.idempotency;

/** A key as the store knows it: one tenant's, one user's. */
record IdempotencyScope(String tenantId, String userId, String key) {}
