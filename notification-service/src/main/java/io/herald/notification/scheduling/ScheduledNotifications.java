package io.herald.notification.scheduling;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.NotificationCancelRequested;
import io.herald.events.v1.NotificationRequested;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Notifications held for later, in the {@code scheduled_notifications} table: the fan-out holds a
 * request whose {@code sendAt} is still ahead ({@link #hold}), applies cancellations ({@link
 * #cancel}), each as one multi-row statement inside its batch's transaction; {@link
 * DueNotifications} takes what has become due ({@link #takeDue}).
 *
 * <p>A request written back to its topic when due carries the header {@value #DUE_HEADER} {@code =
 * due}, so the fan-out delivers it whatever its {@code sendAt} says: two clocks that disagree by a
 * little never hold a request twice.
 */
public class ScheduledNotifications {

  /** Marks a request written back to {@code notification.requests.v1} because it is due. */
  public static final String DUE_HEADER = "herald-scheduled";

  private static final byte[] DUE = "due".getBytes(StandardCharsets.UTF_8);

  /** The key of the held rest of a recipient's fallback chain after the step on {@code channel}. */
  public static String fallbackPart(String userId, io.herald.events.v1.Channel channel) {
    return "fallback|" + userId + "|" + channel.name();
  }

  private static final String STOP_FALLBACKS =
      """
      UPDATE scheduled_notifications s
         SET status = 'CANCELLED', done_at = now(), cancelled_by = d.reason
        FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
             AS d(tenant_id, request_id, part, reason)
       WHERE s.tenant_id = d.tenant_id AND s.request_id = d.request_id AND s.part = d.part
         AND s.status = 'SCHEDULED'
      """;

  private static final String ADVANCE_FALLBACKS =
      """
      UPDATE scheduled_notifications s SET send_at = now()
        FROM unnest(?::text[], ?::text[], ?::text[]) AS d(tenant_id, request_id, part)
       WHERE s.tenant_id = d.tenant_id AND s.request_id = d.request_id AND s.part = d.part
         AND s.status = 'SCHEDULED' AND s.send_at > now()
      """;

  private static final String HOLD =
      """
      INSERT INTO scheduled_notifications
          (tenant_id, request_id, part, requested_by, send_at, request)
      SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::bytea[])
               AS v(tenant_id, request_id, part, requested_by, send_at, request)
       WHERE NOT EXISTS (
             SELECT 1 FROM scheduled_notifications c
              WHERE c.tenant_id = v.tenant_id AND c.request_id = v.request_id
                AND c.status = 'CANCELLED')
      ON CONFLICT (tenant_id, request_id, part) DO NOTHING
      """;

  private static final String CANCEL =
      """
      UPDATE scheduled_notifications s
         SET status = 'CANCELLED', done_at = now(), cancelled_by = c.requested_by
        FROM unnest(?::text[], ?::text[], ?::text[], ?::boolean[])
             AS c(tenant_id, request_id, requested_by, as_admin)
       WHERE s.tenant_id = c.tenant_id AND s.request_id = c.request_id
         AND s.status = 'SCHEDULED' AND (c.as_admin OR s.requested_by = c.requested_by)
      """;

  /**
   * Marks up to {@code ?} due rows sent, earliest first, and answers them; the rows stay locked
   * until the caller's transaction ends, and go back to waiting if it rolls back.
   */
  private static final String TAKE_DUE =
      """
      UPDATE scheduled_notifications SET status = 'SENT', done_at = now()
       WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM scheduled_notifications
              WHERE status = 'SCHEDULED' AND send_at <= now()
              ORDER BY send_at
              LIMIT ?
                FOR UPDATE SKIP LOCKED))
      RETURNING tenant_id, request_id, send_at, request, now()
      """;

  private final Serializer<SpecificRecord> serializer;
  private final Counter held;
  private final Counter cancelled;
  private final Counter cancelsTooLate;

  /**
   * @param serializer writes a request as the registry's wire format, as its producer did
   */
  public ScheduledNotifications(Serializer<SpecificRecord> serializer, MeterRegistry meters) {
    this.serializer = serializer;
    this.held =
        Counter.builder("herald.scheduled.notifications")
            .description("Notifications held for later, cancelled, or sent when due")
            .tag("outcome", "held")
            .register(meters);
    this.cancelled =
        Counter.builder("herald.scheduled.notifications")
            .description("Notifications held for later, cancelled, or sent when due")
            .tag("outcome", "cancelled")
            .register(meters);
    this.cancelsTooLate =
        Counter.builder("herald.scheduled.cancels.ignored")
            .description(
                "Cancellations that found nothing to cancel: already due, sent, cancelled,"
                    + " unknown, or asked by someone who may not")
            .register(meters);
  }

  /** A request is held when its time is ahead, unless it is the due copy written back. */
  public static boolean isForLater(
      ConsumerRecord<?, ?> record, NotificationRequested r, Instant now) {
    if (r.getSendAt() == null || !r.getSendAt().isAfter(now)) {
      return false;
    }
    Header due = record.headers().lastHeader(DUE_HEADER);
    return due == null;
  }

  /** The header of a due copy. */
  static byte[] dueHeaderValue() {
    return DUE.clone();
  }

  /**
   * A request to hold until its {@code sendAt}: a whole request ({@code part} empty) or one part of
   * a request for a time of day in each recipient's zone.
   */
  public record Held(NotificationRequested request, String part) {}

  /**
   * Holds the requests until their {@code sendAt}; a request (part) held before stays as it is, and
   * a part of a request already cancelled is not held (a slice of a large audience fanned out after
   * the cancellation).
   */
  public void hold(Connection connection, Collection<Held> requests) throws SQLException {
    if (requests.isEmpty()) {
      return;
    }
    int n = requests.size();
    String[] tenants = new String[n];
    String[] ids = new String[n];
    String[] parts = new String[n];
    String[] senders = new String[n];
    Timestamp[] times = new Timestamp[n];
    byte[][] bytes = new byte[n][];
    int i = 0;
    for (Held h : requests) {
      NotificationRequested r = h.request();
      tenants[i] = r.getTenantId();
      ids[i] = r.getRequestId();
      parts[i] = h.part();
      senders[i] = r.getRequestedBy();
      times[i] = Timestamp.from(r.getSendAt());
      bytes[i] = serializer.serialize(TopicCatalog.NOTIFICATION_REQUESTS.name(), r);
      i++;
    }
    try (PreparedStatement statement = connection.prepareStatement(HOLD)) {
      statement.setArray(1, connection.createArrayOf("text", tenants));
      statement.setArray(2, connection.createArrayOf("text", ids));
      statement.setArray(3, connection.createArrayOf("text", parts));
      statement.setArray(4, connection.createArrayOf("text", senders));
      statement.setArray(5, connection.createArrayOf("timestamptz", times));
      statement.setArray(6, connection.createArrayOf("bytea", bytes));
      statement.executeUpdate();
    }
    held.increment(n);
  }

  /** Cancels those of the requests (every part still held) that the canceller may cancel. */
  public void cancel(Connection connection, Collection<NotificationCancelRequested> cancels)
      throws SQLException {
    if (cancels.isEmpty()) {
      return;
    }
    int n = cancels.size();
    String[] tenants = new String[n];
    String[] ids = new String[n];
    String[] by = new String[n];
    Boolean[] admin = new Boolean[n];
    int i = 0;
    for (NotificationCancelRequested c : cancels) {
      tenants[i] = c.getTenantId();
      ids[i] = c.getRequestId();
      by[i] = c.getRequestedBy();
      admin[i] = c.getAsAdmin();
      i++;
    }
    int done;
    try (PreparedStatement statement = connection.prepareStatement(CANCEL)) {
      statement.setArray(1, connection.createArrayOf("text", tenants));
      statement.setArray(2, connection.createArrayOf("text", ids));
      statement.setArray(3, connection.createArrayOf("text", by));
      statement.setArray(4, connection.createArrayOf("boolean", admin));
      done = statement.executeUpdate();
    }
    cancelled.increment(done);
    cancelsTooLate.increment(n - done);
  }

  /** One step of one recipient's fallback chain: its request, the user and the step's channel. */
  public record Step(
      String tenantId, String requestId, String userId, io.herald.events.v1.Channel channel) {

    String part() {
      return fallbackPart(userId, channel);
    }
  }

  /**
   * The steps were delivered or read: the rest of their chains is cancelled, {@code reason} in
   * {@code cancelled_by}.
   */
  public void stopFallbacks(Connection connection, Collection<Step> steps, String reason)
      throws SQLException {
    update(connection, STOP_FALLBACKS, steps, reason);
  }

  /** The steps failed for good (or their contact point is invalid): the next step is due now. */
  public void advanceFallbacks(Connection connection, Collection<Step> steps) throws SQLException {
    update(connection, ADVANCE_FALLBACKS, steps, null);
  }

  /** One statement over the steps' held parts; {@code reason}, when given, as a fourth array. */
  private static void update(
      Connection connection, String sql, Collection<Step> steps, String reason)
      throws SQLException {
    if (steps.isEmpty()) {
      return;
    }
    List<String> tenants = new ArrayList<>();
    List<String> requests = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    for (Step step : steps) {
      tenants.add(step.tenantId());
      requests.add(step.requestId());
      parts.add(step.part());
    }
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setArray(1, connection.createArrayOf("text", tenants.toArray()));
      statement.setArray(2, connection.createArrayOf("text", requests.toArray()));
      statement.setArray(3, connection.createArrayOf("text", parts.toArray()));
      if (reason != null) {
        statement.setArray(
            4,
            connection.createArrayOf(
                "text", java.util.Collections.nCopies(steps.size(), reason).toArray()));
      }
      statement.executeUpdate();
    }
  }

  /** A request that has become due, as it was read from the topic. */
  record Due(String tenantId, String requestId, Instant sendAt, byte[] request, Instant takenAt) {}

  /**
   * Takes up to {@code limit} due requests, earliest first, marked sent in this transaction: commit
   * once they are on the topic, roll back (or fail) to leave them due. Other instances skip them
   * meanwhile.
   */
  List<Due> takeDue(Connection connection, int limit) throws SQLException {
    List<Due> due = new ArrayList<>();
    try (PreparedStatement statement = connection.prepareStatement(TAKE_DUE)) {
      statement.setInt(1, limit);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          due.add(
              new Due(
                  rows.getString(1),
                  rows.getString(2),
                  rows.getTimestamp(3).toInstant(),
                  rows.getBytes(4),
                  rows.getTimestamp(5).toInstant()));
        }
      }
    }
    return due;
  }
}
