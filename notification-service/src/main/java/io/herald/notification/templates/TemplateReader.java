package io.herald.notification.templates;

import io.herald.events.v1.Channel;
import io.herald.notification.templates.TemplateEngine.Compiled;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The templates a fan-out batch needs, read with one statement: the newest version of every channel
 * and locale of each (tenant, key) the batch names, and the tenants' default locales. Keys a tenant
 * has no template for fall back to the defaults that ship with the service ({@code
 * templates/defaults/<key>.json}: the publishing notifications), which a tenant overrides by saving
 * its own.
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

  private static final TypeReference<Map<String, Map<String, Object>>> CHANNELS =
      new TypeReference<>() {};

  private final TemplateEngine engine;
  private final JsonMapper json;
  private final Map<String, Map<Channel, Map<String, Object>>> defaults;

  TemplateReader(TemplateEngine engine, JsonMapper json) throws IOException {
    this.engine = engine;
    this.json = json;
    this.defaults = defaults(json);
  }

  /** The shipped templates by key, each checked to compile, so a broken one fails the start. */
  private Map<String, Map<Channel, Map<String, Object>>> defaults(JsonMapper json)
      throws IOException {
    Map<String, Map<Channel, Map<String, Object>>> found = new HashMap<>();
    for (Resource resource :
        new PathMatchingResourcePatternResolver()
            .getResources("classpath*:templates/defaults/*.json")) {
      String name = resource.getFilename();
      String key = name.substring(0, name.length() - ".json".length());
      Map<Channel, Map<String, Object>> channels = new EnumMap<>(Channel.class);
      try (InputStream in = resource.getInputStream()) {
        json.readValue(in, CHANNELS)
            .forEach(
                (channel, parts) -> {
                  Channel c = Channel.valueOf(channel);
                  engine.compile(c, parts);
                  channels.put(c, parts);
                });
      }
      found.put(key, channels);
    }
    return Map.copyOf(found);
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
      Map<String, Object> shipped = defaults.getOrDefault(key, Map.of()).get(channel);
      return shipped == null
          ? Optional.empty()
          : Optional.of(engine.compile("default/" + key + "/" + channel, channel, shipped));
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
