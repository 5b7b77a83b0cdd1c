package io.herald.notification.subscribers;

import java.util.List;
import java.util.Map;

/**
 * An audience cut into pages of at most {@code pageSize} users, in user id order.
 *
 * @param firstUserIds the first user id of every page, ascending; its size is the page count
 * @param namedUserPages for every user named explicitly, the index of the page holding them
 */
public record AudiencePages(List<String> firstUserIds, Map<String, Integer> namedUserPages) {

  public int pageCount() {
    return firstUserIds.size();
  }
}
