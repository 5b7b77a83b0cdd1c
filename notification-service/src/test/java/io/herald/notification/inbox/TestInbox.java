package io.herald.notification.inbox;

import io.herald.support.testing.PostgresTestDatabase;
import java.time.Instant;
import java.util.UUID;

/** Inbox items written straight into the table, for tests that need items without a fan-out. */
final class TestInbox {

  private TestInbox() {}

  /** An item of {@code tenant} for {@code user}, as the fan-out stores them; returns its id. */
  static String insert(String tenant, String user, String category, Instant at) {
    String id = UUID.randomUUID().toString();
    PostgresTestDatabase.shared()
        .column(
            "INSERT INTO inbox_items (id, tenant_id, user_id, notification_id, category, title,"
                + " body, created_at) VALUES ('"
                + id
                + "', '"
                + tenant
                + "', '"
                + user
                + "', '"
                + UUID.randomUUID()
                + "', '"
                + category
                + "', 'Title', 'Body', '"
                + at
                + "') RETURNING id");
    return id;
  }
}
