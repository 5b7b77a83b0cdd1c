package io.herald.notification.subscribers;

import java.util.List;

/**
 * Who one fan-out step addresses: the named users plus every subscriber of the tenant holding one
 * of the roles, limited to user ids in {@code [fromUserId, toUserId)} (null bounds are open). User
 * ids compare byte-wise (PostgreSQL collation "C").
 *
 * <p>Example: {@code new AudienceQuery(0, "acme", List.of("bob"), List.of("admin"), null, null)}.
 *
 * @param index the caller's handle for this query within a set-based call
 */
public record AudienceQuery(
    int index,
    String tenantId,
    List<String> userIds,
    List<String> roles,
    String fromUserId,
    String toUserId) {

  /** Separates roles in one SQL text parameter; role names are validated not to contain it. */
  static final char ROLE_SEPARATOR = '\u001f';

  public AudienceQuery {
    userIds = List.copyOf(userIds);
    roles = List.copyOf(roles);
  }

  String rolesParameter() {
    return String.join(String.valueOf(ROLE_SEPARATOR), roles);
  }
}
