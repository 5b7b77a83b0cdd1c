package io.herald.notification.templates;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import io.herald.events.v1.Channel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders channel messages with Mustache (variables {@code {{name}}}, conditionals and loops {@code
 * {{#items}}...{{/items}}}, inverted {@code {{^vip}}}). Only the e-mail HTML part escapes HTML; the
 * other parts are plain text. A variable the data lacks fails the rendering, naming it.
 *
 * <p>Data values are strings; one that holds a JSON array or object is given to the template as
 * that structure, so {@code "items": "[{\"name\":\"Tea\"}]"} can drive a loop.
 *
 * <p>Compiled templates are cached by id: a stored version never changes.
 */
@Component
public class TemplateEngine {

  /** The parts each channel's template has; the first ones of each list are required. */
  static final Map<Channel, ChannelParts> PARTS =
      Map.of(
          Channel.EMAIL,
          new ChannelParts(List.of("subject", "text"), List.of("html")),
          Channel.IN_APP,
          new ChannelParts(List.of("title", "body"), List.of("actionUrl")),
          Channel.PUSH,
          new ChannelParts(List.of("title", "body"), List.of("imageUrl", "link")),
          Channel.WHATSAPP,
          new ChannelParts(List.of("text"), List.of("whatsappTemplate", "language", "parameters")));

  private static final Mustache.Compiler TEXT = Mustache.compiler().escapeHTML(false);
  private static final Mustache.Compiler HTML = Mustache.compiler().escapeHTML(true);

  private final Map<String, Compiled> cache = new ConcurrentHashMap<>();
  private final JsonMapper json;

  TemplateEngine(JsonMapper json) {
    this.json = json;
  }

  /** Required and optional parts of one channel's template. */
  record ChannelParts(List<String> required, List<String> optional) {
    Set<String> all() {
      Set<String> all = new java.util.LinkedHashSet<>(required);
      all.addAll(optional);
      return all;
    }
  }

  /** A template ready to render; {@code parameters} are WhatsApp's positional ones. */
  public record Compiled(Map<String, Template> parts, List<Template> parameters) {}

  /** A rendering that failed, and why (a missing variable, a parse error), with the part. */
  public static final class RenderException extends RuntimeException {
    private final String part;

    RenderException(String part, String problem) {
      super(part + ": " + problem);
      this.part = part;
    }

    /** The part that failed, e.g. {@code subject} or {@code parameters[1]}. */
    public String part() {
      return part;
    }
  }

  /**
   * Compiles (or takes from the cache) one stored template.
   *
   * @throws RenderException naming the part and line when a part does not parse
   */
  public Compiled compile(String id, Channel channel, Map<String, Object> parts) {
    Compiled cached = cache.get(id);
    if (cached != null) {
      return cached;
    }
    Compiled compiled = compile(channel, parts);
    if (cache.size() < 10_000) {
      cache.put(id, compiled);
    }
    return compiled;
  }

  Compiled compile(Channel channel, Map<String, Object> parts) {
    Map<String, Template> compiled = new LinkedHashMap<>();
    List<Template> parameters = new ArrayList<>();
    for (Map.Entry<String, Object> part : parts.entrySet()) {
      if (part.getKey().equals("parameters") && part.getValue() instanceof List<?> list) {
        for (int i = 0; i < list.size(); i++) {
          parameters.add(parse("parameters[" + i + "]", TEXT, String.valueOf(list.get(i))));
        }
      } else if (part.getValue() instanceof String source) {
        Mustache.Compiler compiler =
            channel == Channel.EMAIL && part.getKey().equals("html") ? HTML : TEXT;
        compiled.put(part.getKey(), parse(part.getKey(), compiler, source));
      }
    }
    return new Compiled(compiled, parameters);
  }

  /**
   * Renders every part against the data.
   *
   * @throws RenderException naming the part and the missing variable
   */
  public Rendered render(Compiled template, Map<String, String> data, Map<String, Object> extra) {
    Map<String, Object> context = context(data);
    context.putAll(extra);
    Map<String, String> out = new LinkedHashMap<>();
    template.parts().forEach((name, t) -> out.put(name, execute(name, t, context)));
    List<String> parameters = new ArrayList<>();
    for (int i = 0; i < template.parameters().size(); i++) {
      parameters.add(execute("parameters[" + i + "]", template.parameters().get(i), context));
    }
    return new Rendered(out, parameters);
  }

  /** The rendered parts of one message. */
  public record Rendered(Map<String, String> parts, List<String> parameters) {
    public String part(String name) {
      return parts.get(name);
    }
  }

  private Map<String, Object> context(Map<String, String> data) {
    Map<String, Object> context = new LinkedHashMap<>();
    data.forEach(
        (key, value) -> {
          String trimmed = value == null ? "" : value.strip();
          if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
            try {
              context.put(key, json.readValue(trimmed, Object.class));
              return;
            } catch (JacksonException e) {
              // not JSON after all: the plain string
            }
          }
          context.put(key, value);
        });
    return context;
  }

  private static Template parse(String part, Mustache.Compiler compiler, String source) {
    try {
      return compiler.compile(source);
    } catch (MustacheException e) {
      throw new RenderException(part, e.getMessage());
    }
  }

  private static String execute(String part, Template template, Map<String, Object> context) {
    try {
      return template.execute(context);
    } catch (MustacheException e) {
      throw new RenderException(part, e.getMessage());
    }
  }
}
