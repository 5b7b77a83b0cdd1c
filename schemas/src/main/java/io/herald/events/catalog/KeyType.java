package io.herald.events.catalog;

/** What a topic's (string) record key holds; records of one key keep their order. */
public enum KeyType {
  POST_ID,
  JOB_ID,
  REQUEST_ID,
  USER_ID,
  NOTIFICATION_ID,
  /** {@code <requestId>/<chunk index>}: the chunks of one request spread over partitions. */
  REQUEST_CHUNK,
  /** {@code <tenantId>/<userId>}: one subscriber, the unit of compaction. */
  TENANT_USER
}
