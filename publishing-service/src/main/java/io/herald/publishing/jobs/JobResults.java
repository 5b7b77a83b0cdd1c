package io.herald.publishing.jobs;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.ContentPublishFailed;
import io.herald.events.v1.ContentPublished;
import io.herald.events.v1.NotificationRequested;
import io.herald.publishing.posts.Post;
import io.herald.support.events.Excerpt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * The events of {@code publishing.results.v1} for finished attempts, as outbox entries (plain Avro
 * binary; the relay writes them through the registry). Event ids derive from job, attempt and
 * outcome, so an attempt recorded twice yields the same event.
 */
public final class JobResults {

  private static final Map<String, Class<? extends SpecificRecord>> TYPES =
      Map.of(
          "ContentPublished", ContentPublished.class,
          "ContentPublishFailed", ContentPublishFailed.class,
          "NotificationRequested", NotificationRequested.class);

  private JobResults() {}

  static JobStore.OutboxEntry published(
      Job job, Post post, String platformPostId, String url, Instant at) {
    ContentPublished event =
        ContentPublished.newBuilder()
            .setEventId(eventId(job, "published"))
            .setTenantId(job.tenantId())
            .setOccurredAt(at)
            .setJobId(job.jobId())
            .setPostId(job.postId())
            .setPlatform(job.platform())
            .setPlatformPostId(platformPostId)
            .setUrl(url)
            .setAttempt(job.attempt())
            .setBrandId(job.brandId())
            .setAuthorId(post == null ? null : post.authorId())
            .setExcerpt(post == null ? null : Excerpt.of(post.text()))
            .build();
    return entry(job, event);
  }

  public static JobStore.OutboxEntry failed(
      Job job, Post post, boolean last, String code, String reason, Instant at) {
    return failure(job, post, last, code, reason, at, "failed");
  }

  /** A job failed for good without an attempt: its connection expired while it waited. */
  public static JobStore.OutboxEntry connectionLost(
      Job job, Post post, String code, String reason, Instant at) {
    return failure(job, post, true, code, reason, at, "connection-lost");
  }

  private static JobStore.OutboxEntry failure(
      Job job, Post post, boolean last, String code, String reason, Instant at, String outcome) {
    ContentPublishFailed event =
        ContentPublishFailed.newBuilder()
            .setEventId(eventId(job, outcome))
            .setTenantId(job.tenantId())
            .setOccurredAt(at)
            .setJobId(job.jobId())
            .setPostId(job.postId())
            .setPlatform(job.platform())
            .setAttempt(job.attempt())
            .setFinal$(last)
            .setErrorCode(code)
            .setReason(reason)
            .setBrandId(job.brandId())
            .setAuthorId(post == null ? null : post.authorId())
            .setExcerpt(post == null ? null : Excerpt.of(post.text()))
            .build();
    return entry(job, event);
  }

  static SpecificRecord decode(String type, byte[] payload) {
    Class<? extends SpecificRecord> kind = TYPES.get(type);
    if (kind == null) {
      throw new IllegalArgumentException("no result event " + type);
    }
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(payload, null);
      return new SpecificDatumReader<>(kind).read(null, decoder);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String eventId(Job job, String outcome) {
    return UUID.nameUUIDFromBytes(
            (job.jobId() + "|" + job.attempt() + "|" + outcome).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  private static JobStore.OutboxEntry entry(Job job, SpecificRecord event) {
    return entry(TopicCatalog.PUBLISHING_RESULTS.name(), job.jobId(), event);
  }

  /** Any event for the outbox: Avro binary of its type, for {@code topic} under {@code key}. */
  @SuppressWarnings("unchecked")
  public static JobStore.OutboxEntry entry(String topic, String key, SpecificRecord event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new SpecificDatumWriter<>((Class<SpecificRecord>) event.getClass()).write(event, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new JobStore.OutboxEntry(
        topic, key, event.getClass().getSimpleName(), out.toByteArray());
  }
}
