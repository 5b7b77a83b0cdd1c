package io.herald.notification.activity;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import org.springframework.stereotype.Component;

/**
 * The writes of delivery activity: one multi-row statement per batch for its events and one for the
 * requests it took, each dropping what is already recorded (by event id and by request id), so a
 * batch processed again adds nothing.
 */
@Component
public class ActivityStore {

  private static final String INSERT_EVENTS =
      """
      INSERT INTO delivery_activity (event_id, tenant_id, notification_id, user_id, channel,
                                     delivery_id, status, final, reason, provider,
                                     provider_message_id, attempt, occurred_at)
      SELECT event_id, tenant_id, notification_id, user_id, channel, delivery_id, status, final,
             reason, provider, provider_message_id, attempt, occurred_at
        FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                    ?::boolean[], ?::text[], ?::text[], ?::text[], ?::int[], ?::timestamptz[])
             AS t(event_id, tenant_id, notification_id, user_id, channel, delivery_id, status,
                  final, reason, provider, provider_message_id, attempt, occurred_at)
      ON CONFLICT (event_id) DO NOTHING
      """;

  private static final String INSERT_REQUESTS =
      """
      INSERT INTO notification_requests (tenant_id, request_id, requested_by, category, channels,
                                         requested_at)
      SELECT tenant_id, request_id, requested_by, category, string_to_array(channels, ','),
             requested_at
        FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[])
             AS t(tenant_id, request_id, requested_by, category, channels, requested_at)
      ON CONFLICT (tenant_id, request_id) DO NOTHING
      """;

  /**
   * One event of a delivery.
   *
   * @param status {@code REQUESTED}, {@code SKIPPED}, {@code FAILED}, {@code SENT}, {@code
   *     DELIVERED}, {@code READ} or {@code DEAD_LETTERED}
   * @param finalFailure for {@code FAILED}: nothing more will be tried
   */
  public record Event(
      String eventId,
      String tenantId,
      String notificationId,
      String userId,
      String channel,
      String deliveryId,
      String status,
      boolean finalFailure,
      String reason,
      String provider,
      String providerMessageId,
      Integer attempt,
      Instant occurredAt) {

    /** An event recorded by the fan-out itself: no provider, no attempt. */
    public static Event fanOut(
        String eventId,
        String tenantId,
        String notificationId,
        String userId,
        String channel,
        String deliveryId,
        String status,
        String reason,
        Instant at) {
      return new Event(
          eventId,
          tenantId,
          notificationId,
          userId,
          channel,
          deliveryId,
          status,
          !status.equals("REQUESTED") && !status.equals("DELIVERED"),
          reason,
          null,
          null,
          null,
          at);
    }
  }

  /** A request as its sender made it; {@code channels} as named in the request. */
  public record Request(
      String tenantId,
      String requestId,
      String requestedBy,
      String category,
      Collection<String> channels,
      Instant requestedAt) {}

  public void insertEvents(Connection connection, Collection<Event> events) throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    int size = events.size();
    String[][] text = new String[10][size];
    Boolean[] finals = new Boolean[size];
    Integer[] attempts = new Integer[size];
    String[] at = new String[size];
    int i = 0;
    for (Event e : events) {
      text[0][i] = e.eventId();
      text[1][i] = e.tenantId();
      text[2][i] = e.notificationId();
      text[3][i] = e.userId();
      text[4][i] = e.channel();
      text[5][i] = e.deliveryId();
      text[6][i] = e.status();
      text[7][i] = e.reason();
      text[8][i] = e.provider();
      text[9][i] = e.providerMessageId();
      finals[i] = e.finalFailure();
      attempts[i] = e.attempt();
      at[i] = e.occurredAt().toString();
      i++;
    }
    try (PreparedStatement statement = connection.prepareStatement(INSERT_EVENTS)) {
      for (int c = 0; c < 7; c++) {
        statement.setArray(1 + c, connection.createArrayOf("text", text[c]));
      }
      statement.setArray(8, connection.createArrayOf("boolean", finals));
      for (int c = 7; c < 10; c++) {
        statement.setArray(2 + c, connection.createArrayOf("text", text[c]));
      }
      statement.setArray(12, connection.createArrayOf("integer", attempts));
      statement.setArray(13, connection.createArrayOf("text", at));
      statement.executeUpdate();
    }
  }

  public void insertRequests(Connection connection, Collection<Request> requests)
      throws SQLException {
    if (requests.isEmpty()) {
      return;
    }
    int size = requests.size();
    String[][] text = new String[5][size];
    String[] at = new String[size];
    int i = 0;
    for (Request r : requests) {
      text[0][i] = r.tenantId();
      text[1][i] = r.requestId();
      text[2][i] = r.requestedBy();
      text[3][i] = r.category();
      text[4][i] = String.join(",", r.channels());
      at[i] = r.requestedAt().toString();
      i++;
    }
    try (PreparedStatement statement = connection.prepareStatement(INSERT_REQUESTS)) {
      for (int c = 0; c < 5; c++) {
        statement.setArray(1 + c, connection.createArrayOf("text", text[c]));
      }
      statement.setArray(6, connection.createArrayOf("text", at));
      statement.executeUpdate();
    }
  }
}
