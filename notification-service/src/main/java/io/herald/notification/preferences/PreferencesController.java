package io.herald.notification.preferences;

import io.herald.events.v1.Channel;
import io.herald.notification.preferences.PreferenceRepository.TenantCategory;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Notification preferences on three levels, most specific wins: the user's choice per category and
 * channel, the user's choice per channel, the tenant's default per category and channel. Critical
 * categories are always delivered and say so.
 *
 * <pre>
 * GET|PUT /api/preferences/tenant   admin: {"categories": {"security": {"critical": true},
 *                                   "marketing": {"critical": false, "channels": {"EMAIL": false}}}}
 * GET|PUT /api/preferences/me       {"channels": {"WHATSAPP": false},
 *                                   "categories": {"marketing": {"EMAIL": true}}}
 * </pre>
 *
 * {@code GET /api/preferences/me} adds {@code effective}: for every category of the tenant, whether
 * it is critical and whether each channel is delivered.
 */
@RestController
@RequestMapping(path = "/api/preferences", produces = MediaType.APPLICATION_JSON_VALUE)
class PreferencesController {

  private final PreferenceRepository preferences;

  PreferencesController(PreferenceRepository preferences) {
    this.preferences = preferences;
  }

  @GetMapping("/tenant")
  Mono<TenantPreferences> tenant(HeraldPrincipal caller) {
    requireAdmin(caller);
    return preferences.tenant(caller.tenantId()).map(TenantPreferences::new);
  }

  @PutMapping(path = "/tenant", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<TenantPreferences> replaceTenant(
      HeraldPrincipal caller, @RequestBody TenantPreferences body) {
    requireAdmin(caller);
    Map<String, TenantCategory> categories = PreferenceRules.nullSafe(body.categories());
    List<Map<String, String>> errors = new ArrayList<>();
    categories.forEach(
        (name, c) -> {
          if (name.isBlank()
              || name.length() > 100
              || name.equals(PreferenceRules.EVERY_CATEGORY)) {
            errors.add(error("categories." + name, "is not a usable category name"));
          }
          if (c == null) {
            errors.add(error("categories." + name, "must be an object"));
            return;
          }
          PreferenceRules.nullSafe(c.channels())
              .forEach(
                  (channel, on) -> {
                    if (!PreferenceRules.isChannel(channel)) {
                      errors.add(unknownChannel("categories." + name + ".channels." + channel));
                    } else if (on == null) {
                      errors.add(
                          error(
                              "categories." + name + ".channels." + channel,
                              "must be true or false"));
                    }
                  });
        });
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    return preferences
        .replaceTenant(caller.tenantId(), categories)
        .then(preferences.tenant(caller.tenantId()))
        .map(TenantPreferences::new);
  }

  @GetMapping("/me")
  Mono<UserPreferences> mine(HeraldPrincipal caller) {
    return Mono.zip(
            preferences.tenant(caller.tenantId()),
            preferences.user(caller.tenantId(), caller.userId()))
        .map(both -> view(both.getT1(), both.getT2()));
  }

  @PutMapping(path = "/me", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<UserPreferences> replaceMine(HeraldPrincipal caller, @RequestBody UserChoices body) {
    return preferences
        .tenant(caller.tenantId())
        .flatMap(
            tenant -> {
              Map<String, Map<String, Boolean>> choices = validated(body, tenant);
              return preferences
                  .replaceUser(caller.tenantId(), caller.userId(), choices)
                  .then(preferences.user(caller.tenantId(), caller.userId()))
                  .map(stored -> view(tenant, stored));
            });
  }

  /** The body as stored choices (category '*' for the per-channel ones), or a 400 naming faults. */
  private static Map<String, Map<String, Boolean>> validated(
      UserChoices body, Map<String, TenantCategory> tenant) {
    List<Map<String, String>> errors = new ArrayList<>();
    Map<String, Map<String, Boolean>> choices = new LinkedHashMap<>();
    Map<String, Boolean> global = new LinkedHashMap<>();
    PreferenceRules.nullSafe(body.channels())
        .forEach(
            (channel, on) -> {
              if (!PreferenceRules.isChannel(channel)) {
                errors.add(unknownChannel("channels." + channel));
              } else if (on == null) {
                errors.add(error("channels." + channel, "must be true or false"));
              } else {
                global.put(channel, on);
              }
            });
    if (!global.isEmpty()) {
      choices.put(PreferenceRules.EVERY_CATEGORY, global);
    }
    PreferenceRules.nullSafe(body.categories())
        .forEach(
            (category, byChannel) -> {
              TenantCategory known = tenant.get(category);
              if (known == null) {
                errors.add(
                    error(
                        "categories." + category,
                        "unknown category; this tenant has " + String.join(", ", tenant.keySet())));
                return;
              }
              Map<String, Boolean> perChannel = new LinkedHashMap<>();
              PreferenceRules.nullSafe(byChannel)
                  .forEach(
                      (channel, on) -> {
                        String field = "categories." + category + "." + channel;
                        if (!PreferenceRules.isChannel(channel)) {
                          errors.add(unknownChannel(field));
                        } else if (on == null) {
                          errors.add(error(field, "must be true or false"));
                        } else if (known.critical() && !on) {
                          errors.add(
                              error(field, category + " is critical and cannot be turned off"));
                        } else {
                          perChannel.put(channel, on);
                        }
                      });
              if (!perChannel.isEmpty()) {
                choices.put(category, perChannel);
              }
            });
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    return choices;
  }

  private static UserPreferences view(
      Map<String, TenantCategory> tenant, Map<String, Map<String, Boolean>> stored) {
    Map<String, Boolean> global = stored.getOrDefault(PreferenceRules.EVERY_CATEGORY, Map.of());
    Map<String, Map<String, Boolean>> categories = new TreeMap<>(stored);
    categories.remove(PreferenceRules.EVERY_CATEGORY);
    Map<String, Effective> effective = new TreeMap<>();
    tenant.forEach(
        (name, c) -> {
          Map<String, Boolean> channels = new LinkedHashMap<>();
          for (Channel channel : Channel.values()) {
            if (channel == Channel.UNKNOWN) {
              continue;
            }
            String ch = channel.name();
            channels.put(
                ch,
                PreferenceRules.allows(
                    c.critical(),
                    Optional.ofNullable(categories.getOrDefault(name, Map.of()).get(ch)),
                    Optional.ofNullable(global.get(ch)),
                    Optional.ofNullable(PreferenceRules.nullSafe(c.channels()).get(ch))));
          }
          effective.put(name, new Effective(c.critical(), channels));
        });
    return new UserPreferences(global, categories, effective);
  }

  private static void requireAdmin(HeraldPrincipal caller) {
    if (!caller.hasRole("admin")) {
      throw ApiException.missingRole("admin", "Only an admin may manage the tenant's preferences.");
    }
  }

  private static Map<String, String> unknownChannel(String field) {
    return error(field, "unknown channel; use IN_APP, EMAIL, WHATSAPP or PUSH");
  }

  private static Map<String, String> error(String field, String message) {
    return Map.of("field", field, "message", message);
  }

  /** The tenant's categories with their defaults. */
  record TenantPreferences(Map<String, TenantCategory> categories) {}

  /** What a user sends: per channel for every category, and per category and channel. */
  record UserChoices(Map<String, Boolean> channels, Map<String, Map<String, Boolean>> categories) {}

  /** What a user sees: their choices and, per tenant category, what is delivered. */
  record UserPreferences(
      Map<String, Boolean> channels,
      Map<String, Map<String, Boolean>> categories,
      Map<String, Effective> effective) {}

  /** Whether a category is critical and which channels deliver it for this user. */
  record Effective(boolean critical, Map<String, Boolean> channels) {}
}
