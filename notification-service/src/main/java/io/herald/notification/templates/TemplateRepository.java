package io.herald.notification.templates;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Template versions for the HTTP API; every query is scoped to one tenant. */
@Repository
class TemplateRepository {

  private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {};
  private static final String COLUMNS =
      "template_key, channel, locale, version, parts, sample, created_by, created_at";

  private final DatabaseClient db;
  private final JsonMapper json;

  TemplateRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** Saves the next version of the template and returns it. */
  Mono<TemplateVersion> save(
      String tenantId,
      String key,
      String channel,
      String locale,
      Map<String, Object> parts,
      Map<String, String> sample,
      String by) {
    return db.sql(
            """
            INSERT INTO templates (tenant_id, template_key, channel, locale, version, parts, sample,
                                   created_by)
            SELECT :tenant, :key, :channel, :locale, coalesce(max(version), 0) + 1, :parts,
                   :sample, :by
              FROM templates
             WHERE tenant_id = :tenant AND template_key = :key AND channel = :channel
               AND locale = :locale
            RETURNING \s"""
                + COLUMNS)
        .bind("tenant", tenantId)
        .bind("key", key)
        .bind("channel", channel)
        .bind("locale", locale)
        .bind("parts", Json.of(json.writeValueAsString(parts)))
        .bind("sample", Json.of(json.writeValueAsString(sample)))
        .bind("by", by)
        .map(this::toVersion)
        .one();
  }

  /** The given version, or the newest when {@code version} is null. */
  Mono<TemplateVersion> find(
      String tenantId, String key, String channel, String locale, Integer version) {
    return db.sql(
            "SELECT "
                + COLUMNS
                + " FROM templates WHERE tenant_id = :tenant AND template_key = :key"
                + " AND channel = :channel AND locale = :locale"
                + (version == null ? "" : " AND version = :version")
                + " ORDER BY version DESC LIMIT 1")
        .bind("tenant", tenantId)
        .bind("key", key)
        .bind("channel", channel)
        .bind("locale", locale)
        .bindValues(version == null ? Map.of() : Map.of("version", version))
        .map(this::toVersion)
        .one();
  }

  /** Every version of every channel and locale of a key, newest first. */
  Flux<TemplateVersion> versions(String tenantId, String key) {
    return db.sql(
            "SELECT "
                + COLUMNS
                + " FROM templates WHERE tenant_id = :tenant AND template_key = :key"
                + " ORDER BY channel, locale, version DESC")
        .bind("tenant", tenantId)
        .bind("key", key)
        .map(this::toVersion)
        .all();
  }

  /** The newest version of every template of the tenant. */
  Flux<TemplateVersion> latest(String tenantId) {
    return db.sql(
            "SELECT DISTINCT ON (template_key, channel, locale) "
                + COLUMNS
                + " FROM templates WHERE tenant_id = :tenant"
                + " ORDER BY template_key, channel, locale, version DESC")
        .bind("tenant", tenantId)
        .map(this::toVersion)
        .all();
  }

  Mono<Long> delete(String tenantId, String key, String channel, String locale) {
    return db.sql(
            "DELETE FROM templates WHERE tenant_id = :tenant AND template_key = :key"
                + " AND channel = :channel AND locale = :locale")
        .bind("tenant", tenantId)
        .bind("key", key)
        .bind("channel", channel)
        .bind("locale", locale)
        .fetch()
        .rowsUpdated();
  }

  Mono<String> defaultLocale(String tenantId) {
    return db.sql("SELECT default_locale FROM template_settings WHERE tenant_id = :tenant")
        .bind("tenant", tenantId)
        .map(row -> row.get("default_locale", String.class))
        .one()
        .defaultIfEmpty("en");
  }

  Mono<Void> setDefaultLocale(String tenantId, String locale) {
    return db.sql(
            """
            INSERT INTO template_settings (tenant_id, default_locale) VALUES (:tenant, :locale)
            ON CONFLICT (tenant_id) DO UPDATE SET default_locale = EXCLUDED.default_locale
            """)
        .bind("tenant", tenantId)
        .bind("locale", locale)
        .then();
  }

  private TemplateVersion toVersion(Readable row) {
    return new TemplateVersion(
        row.get("template_key", String.class),
        row.get("channel", String.class),
        row.get("locale", String.class),
        row.get("version", Integer.class),
        json.readValue(row.get("parts", Json.class).asString(), OBJECT),
        json.readValue(row.get("sample", Json.class).asString(), STRINGS),
        row.get("created_by", String.class),
        row.get("created_at", OffsetDateTime.class).toInstant());
  }

  /** One stored version of a template, as the API shows it. */
  record TemplateVersion(
      String key,
      String channel,
      String locale,
      int version,
      Map<String, Object> parts,
      Map<String, String> sample,
      String createdBy,
      Instant createdAt) {}
}
