package io.herald.notification.fanout;

import io.herald.events.v1.Channel;
import io.herald.notification.subscribers.Recipient;
import io.herald.notification.templates.TemplateEngine;
import io.herald.notification.templates.TemplateEngine.Rendered;
import io.herald.notification.templates.TemplateReader.Templates;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The content of one delivery: the request's inline title and body, or its template rendered for
 * the recipient (in their locale, with fallback) and channel.
 *
 * <p>Parts by channel: EMAIL subject, text, html; IN_APP title, body, actionUrl; PUSH title, body,
 * imageUrl, link; WHATSAPP text, or whatsappTemplate with language and parameters.
 */
final class Renderer {

  private final TemplateEngine engine;
  private final Templates templates;

  Renderer(TemplateEngine engine, Templates templates) {
    this.engine = engine;
    this.templates = templates;
  }

  /**
   * @return empty when the request names a template that has no version for this channel in any
   *     fallback locale
   * @throws TemplateEngine.RenderException when rendering fails (a missing variable)
   */
  Optional<Rendered> render(Notification n, Recipient recipient, Channel channel) {
    if (n.template() == null) {
      return Optional.of(inline(n, channel));
    }
    String locale =
        n.template().getLocale() != null ? n.template().getLocale() : recipient.locale();
    return templates
        .find(n.tenantId(), n.template().getTemplateId(), channel, locale)
        .map(
            t ->
                engine.render(
                    t,
                    n.data(),
                    Map.of(
                        "recipient",
                        Map.of(
                            "userId", recipient.userId(),
                            "locale", recipient.locale(),
                            "email", recipient.email() == null ? "" : recipient.email()))));
  }

  private static Rendered inline(Notification n, Channel channel) {
    Map<String, String> parts =
        switch (channel) {
          case EMAIL -> Map.of("subject", n.title(), "text", n.body());
          case WHATSAPP -> Map.of("text", n.title() + "\n\n" + n.body());
          default -> Map.of("title", n.title(), "body", n.body());
        };
    return new Rendered(parts, List.of());
  }
}
