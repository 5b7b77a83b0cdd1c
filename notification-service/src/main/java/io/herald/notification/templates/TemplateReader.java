package io.herald.notification.templates;

import io.herald.events.v1.Channel;
import io.herald.notification.templates.TemplateEngine.Compiled;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The templates a fan-out batch needs, read with one statement: the newest version of every channel
 * and locale of each (tenant, key) the batch names, and the tenants' default locales.
 */
@Component
public class TemplateReader {

  private static final TypeReference<Map<String, Object>> PARTS = new TypeReference<>() {};

  private static final String LATEST =
      """
      SELECT DISTINCT ON (t.tenant_id, t.template_key, t.channel, t.locale)
             t.tenant_id, t.template_key, t.channel, t.locale, t.version, t.parts::text,
             coalesce(s.default_locale, 'en')
        FROM unnest(?::text[], ?::text[]) AS k(tenant_id, template_key)
        JOIN templates t ON t.tenant_id = k.tenant_id AND t.template_key = k.template_key
        LEFT JOIN template_settings s ON s.tenant_id = t.tenant_id
       ORDER BY t.tenant_id, t.template_key, t.channel, t.locale, t.version DESC
      """;

  private final TemplateEngine engine;
  private final JsonMapper json;

  TemplateReader(TemplateEngine engine, JsonMapper json) {
    this.engine = engine;
    this.json = json;
  }

  /** A template of a tenant by key. */
  public record Key(String tenantId, String templateKey) {}

  public Templates load(Connection connection, Collection<Key> keys) throws SQLException {
    Templates templates = new Templates();
    if (keys.isEmpty()) {
      return templates;
    }
    List<Key> distinct = keys.stream().distinct().toList();
    try (PreparedStatement s = connection.prepareStatement(LATEST)) {
      s.setArray(
          1, connection.createArrayOf("text", distinct.stream().map(Key::tenantId).toArray()));
      s.setArray(
          2, connection.createArrayOf("text", distinct.stream().map(Key::templateKey).toArray()));
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          String tenant = rows.getString(1);
          String key = rows.getString(2);
          Channel channel = Channel.valueOf(rows.getString(3));
          String locale = rows.getString(4);
          String id = String.join("/", tenant, key, channel.name(), locale, rows.getString(5));
          templates.stored.put(
              List.of(tenant, key, channel.name(), locale.toLowerCase(Locale.ROOT)),
              new Stored(id, channel, json.readValue(rows.getString(6), PARTS)));
          templates.defaultLocales.put(tenant, rows.getString(7));
        }
      }
    }
    return templates;
  }

  private record Stored(String id, Channel channel, Map<String, Object> parts) {}

  /** The templates of one batch, compiled on first use. */
  public final class Templates {

    private final Map<List<String>, Stored> stored = new HashMap<>();
    private final Map<String, String> defaultLocales = new HashMap<>();

    /**
     * The template for the channel in the first locale that exists: the locale asked for (e.g.
     * {@code pt-BR}), its language ({@code pt}), the tenant's default locale.
     */
    public Optional<Compiled> find(String tenantId, String key, Channel channel, String locale) {
      for (String candidate : fallbacks(locale, defaultLocales.getOrDefault(tenantId, "en"))) {
        Stored s =
            stored.get(List.of(tenantId, key, channel.name(), candidate.toLowerCase(Locale.ROOT)));
        if (s != null) {
          return Optional.of(engine.compile(s.id(), s.channel(), s.parts()));
        }
      }
      return Optional.empty();
    }
  }

  static List<String> fallbacks(String locale, String defaultLocale) {
    String asked = locale == null || locale.isBlank() ? defaultLocale : locale;
    int dash = asked.indexOf('-');
    return dash > 0
        ? List.of(asked, asked.substring(0, dash), defaultLocale)
        : List.of(asked, defaultLocale);
  }
}
