package io.herald.notification.templates;

import io.herald.events.v1.Channel;
import io.herald.notification.preferences.PreferenceRules;
import io.herald.notification.templates.TemplateEngine.ChannelParts;
import io.herald.notification.templates.TemplateEngine.Compiled;
import io.herald.notification.templates.TemplateRepository.TemplateVersion;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.util.ArrayList;
import java.util.IllformedLocaleException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Versioned message templates of the caller's tenant, per key, channel and locale (admin role).
 * Saving checks the Mustache syntax and renders every part against the sample data given with it; a
 * template that does not render is refused with a 422 problem saying which part and where.
 *
 * <pre>
 * PUT    /api/templates/welcome/EMAIL/pt-BR
 *        {"parts": {"subject": "Olá {{name}}", "text": "...", "html": "&lt;p&gt;{{name}}&lt;/p&gt;"},
 *         "sample": {"name": "Ana"}}                          → 201, the new version
 * GET    /api/templates/welcome/EMAIL/pt-BR[?version=2]       the newest (or given) version
 * GET    /api/templates/welcome                               every version of every channel
 * DELETE /api/templates/welcome/EMAIL/pt-BR                   every version
 * GET    /api/templates                                       newest versions, default locale
 * PUT    /api/templates {"defaultLocale": "en"}               the last locale fallback
 * </pre>
 */
@RestController
@RequestMapping(path = "/api/templates", produces = MediaType.APPLICATION_JSON_VALUE)
class TemplateController {

  private final TemplateRepository templates;
  private final TemplateEngine engine;

  TemplateController(TemplateRepository templates, TemplateEngine engine) {
    this.templates = templates;
    this.engine = engine;
  }

  @GetMapping
  Mono<TemplateIndex> index(HeraldPrincipal caller) {
    requireAdmin(caller);
    return Mono.zip(
            templates.defaultLocale(caller.tenantId()),
            templates.latest(caller.tenantId()).collectList())
        .map(t -> new TemplateIndex(t.getT1(), t.getT2()));
  }

  @PutMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<TemplateIndex> settings(HeraldPrincipal caller, @RequestBody TemplateSettings body) {
    requireAdmin(caller);
    String locale = locale("defaultLocale", body.defaultLocale());
    return templates.setDefaultLocale(caller.tenantId(), locale).then(index(caller));
  }

  @PutMapping(path = "/{key}/{channel}/{locale}", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<TemplateVersion>> save(
      HeraldPrincipal caller,
      @PathVariable String key,
      @PathVariable String channel,
      @PathVariable String locale,
      @RequestBody TemplateSource body) {
    requireAdmin(caller);
    Channel ch = channel(channel);
    String tag = locale("locale", locale);
    if (key.isBlank() || key.length() > 100) {
      throw ApiException.invalid(List.of(error("key", "must be 1 to 100 characters")));
    }
    Map<String, Object> parts = body.parts() == null ? Map.of() : body.parts();
    Map<String, String> sample = body.sample() == null ? Map.of() : body.sample();
    checkParts(ch, parts);
    try {
      Compiled compiled = engine.compile(ch, parts);
      engine.render(
          compiled,
          sample,
          Map.of("recipient", Map.of("userId", "sample", "locale", tag, "email", "")));
    } catch (TemplateEngine.RenderException e) {
      throw new ApiException(
          HttpStatus.UNPROCESSABLE_CONTENT,
          "template-invalid",
          "The template does not render against its sample: " + e.getMessage(),
          List.of(
              error(
                  "parts." + e.getMessage().substring(0, e.getMessage().indexOf(':')),
                  e.getMessage())));
    }
    return templates
        .save(caller.tenantId(), key, ch.name(), tag, parts, sample, caller.userId())
        .map(saved -> ResponseEntity.status(HttpStatus.CREATED).body(saved))
        .onErrorMap(
            DataIntegrityViolationException.class,
            e ->
                new ApiException(
                    HttpStatus.CONFLICT,
                    "conflict",
                    "Another version was saved at the same moment; save again.",
                    List.of()));
  }

  @GetMapping("/{key}/{channel}/{locale}")
  Mono<TemplateVersion> get(
      HeraldPrincipal caller,
      @PathVariable String key,
      @PathVariable String channel,
      @PathVariable String locale,
      @RequestParam(name = "version", required = false) Integer version) {
    requireAdmin(caller);
    return templates
        .find(caller.tenantId(), key, channel(channel).name(), locale("locale", locale), version)
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("No such template version.")));
  }

  @GetMapping("/{key}")
  Mono<List<TemplateVersion>> versions(HeraldPrincipal caller, @PathVariable String key) {
    requireAdmin(caller);
    return templates
        .versions(caller.tenantId(), key)
        .collectList()
        .filter(v -> !v.isEmpty())
        .switchIfEmpty(
            Mono.error(() -> ApiException.notFound("There is no template " + key + ".")));
  }

  @DeleteMapping("/{key}/{channel}/{locale}")
  Mono<ResponseEntity<Void>> delete(
      HeraldPrincipal caller,
      @PathVariable String key,
      @PathVariable String channel,
      @PathVariable String locale) {
    requireAdmin(caller);
    return templates
        .delete(caller.tenantId(), key, channel(channel).name(), locale("locale", locale))
        .flatMap(
            n ->
                n == 0
                    ? Mono.error(ApiException.notFound("No such template."))
                    : Mono.just(ResponseEntity.noContent().<Void>build()));
  }

  private static void checkParts(Channel channel, Map<String, Object> parts) {
    ChannelParts allowed = TemplateEngine.PARTS.get(channel);
    List<Map<String, String>> errors = new ArrayList<>();
    for (String required : allowed.required()) {
      if (!(parts.get(required) instanceof String s) || s.isBlank()) {
        errors.add(error("parts." + required, "is required for " + channel));
      }
    }
    for (Map.Entry<String, Object> part : parts.entrySet()) {
      if (!allowed.all().contains(part.getKey())) {
        errors.add(
            error("parts." + part.getKey(), "unknown part; " + channel + " has " + allowed.all()));
      } else if (part.getKey().equals("parameters")
          ? !(part.getValue() instanceof List<?>)
          : !(part.getValue() instanceof String)) {
        errors.add(
            error(
                "parts." + part.getKey(),
                part.getKey().equals("parameters")
                    ? "must be a list of strings"
                    : "must be a string"));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
  }

  private static Channel channel(String name) {
    return PreferenceRules.channel(name)
        .orElseThrow(
            () ->
                ApiException.invalid(
                    List.of(
                        error("channel", "unknown channel; use IN_APP, EMAIL, WHATSAPP or PUSH"))));
  }

  private static String locale(String field, String value) {
    try {
      String tag =
          new Locale.Builder().setLanguageTag(value == null ? "" : value).build().toLanguageTag();
      if (!tag.equals("und")) {
        return tag;
      }
    } catch (IllformedLocaleException e) {
      // reported below
    }
    throw ApiException.invalid(
        List.of(error(field, "must be a BCP 47 language tag such as en or pt-BR")));
  }

  private static void requireAdmin(HeraldPrincipal caller) {
    if (!caller.hasRole("admin")) {
      throw ApiException.missingRole("admin", "Only an admin may manage templates.");
    }
  }

  private static Map<String, String> error(String field, String message) {
    return Map.of("field", field, "message", message);
  }

  /** What is saved: the channel's parts (Mustache sources) and data to check them against. */
  record TemplateSource(Map<String, Object> parts, Map<String, String> sample) {}

  record TemplateSettings(String defaultLocale) {}

  record TemplateIndex(String defaultLocale, List<TemplateVersion> templates) {}
}
