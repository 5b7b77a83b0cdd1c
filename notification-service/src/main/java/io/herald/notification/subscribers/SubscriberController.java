package io.herald.notification.subscribers;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The subscribers of the caller's tenant. Users with the {@code admin} role manage everyone; any
 * user may read theirs and change their own contact points, locale and time zone, but not their
 * roles. Changes are written to {@code notification.subscribers.v1} and answered {@code 202
 * Accepted} with the profile as it will be stored; reads show it once applied (usually within
 * milliseconds).
 *
 * <pre>
 * PUT    /api/subscribers/{userId}   create or replace
 * PATCH  /api/subscribers/{userId}   JSON merge patch (RFC 7396); null removes e-mail or phone
 * DELETE /api/subscribers/{userId}   admin only
 * GET    /api/subscribers/{userId}
 * GET    /api/subscribers?limit=50&amp;cursor=...&amp;role=editor   admin only, by user id
 * </pre>
 */
@RestController
@RequestMapping(path = "/api/subscribers", produces = MediaType.APPLICATION_JSON_VALUE)
class SubscriberController {

  static final String ADMIN = "admin";

  private final SubscriberRepository subscribers;
  private final SubscriberPublisher publisher;
  private final JsonMapper json;

  SubscriberController(
      SubscriberRepository subscribers, SubscriberPublisher publisher, JsonMapper json) {
    this.subscribers = subscribers;
    this.publisher = publisher;
    this.json = json;
  }

  @GetMapping("/{userId}")
  Mono<SubscriberProfile> get(HeraldPrincipal caller, @PathVariable String userId) {
    requireSelfOrAdmin(caller, userId);
    return existing(caller, userId);
  }

  @GetMapping
  Mono<SubscriberPage> list(
      HeraldPrincipal caller,
      @RequestParam(name = "limit", defaultValue = "50") int limit,
      @RequestParam(name = "cursor", required = false) String cursor,
      @RequestParam(name = "role", required = false) String role) {
    requireAdmin(caller, "list subscribers");
    int bounded = Math.max(1, Math.min(limit, 500));
    return subscribers
        .page(caller.tenantId(), decodeCursor(cursor), role, bounded + 1)
        .collectList()
        .map(
            found ->
                found.size() > bounded
                    ? new SubscriberPage(
                        found.subList(0, bounded), encodeCursor(found.get(bounded - 1).userId()))
                    : new SubscriberPage(found, null));
  }

  @PutMapping(path = "/{userId}", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<SubscriberProfile>> put(
      HeraldPrincipal caller, @PathVariable String userId, @RequestBody SubscriberProfile body) {
    requireSelfOrAdmin(caller, userId);
    if (body.userId() != null && !body.userId().equals(userId)) {
      throw ApiException.invalid(
          List.of(Map.of("field", "userId", "message", "must match the path or be left out")));
    }
    SubscriberProfile profile = body.withUserId(userId);
    return subscribers
        .find(caller.tenantId(), userId)
        .map(SubscriberProfile::roles)
        .defaultIfEmpty(List.of())
        .flatMap(current -> store(caller, profile, current));
  }

  @PatchMapping(
      path = "/{userId}",
      consumes = {"application/merge-patch+json", MediaType.APPLICATION_JSON_VALUE})
  Mono<ResponseEntity<SubscriberProfile>> patch(
      HeraldPrincipal caller, @PathVariable String userId, @RequestBody JsonNode patch) {
    requireSelfOrAdmin(caller, userId);
    if (!patch.isObject()) {
      throw ApiException.invalid(List.of(Map.of("field", "", "message", "must be a JSON object")));
    }
    return existing(caller, userId)
        .flatMap(
            current -> {
              JsonNode merged = merge(json.valueToTree(current), patch);
              SubscriberProfile profile =
                  json.treeToValue(merged, SubscriberProfile.class).withUserId(userId);
              return store(caller, profile, current.roles());
            });
  }

  @DeleteMapping("/{userId}")
  Mono<ResponseEntity<Void>> delete(HeraldPrincipal caller, @PathVariable String userId) {
    requireAdmin(caller, "delete subscribers");
    return existing(caller, userId)
        .flatMap(s -> publisher.delete(caller.tenantId(), userId))
        .thenReturn(ResponseEntity.accepted().<Void>build());
  }

  private Mono<ResponseEntity<SubscriberProfile>> store(
      HeraldPrincipal caller, SubscriberProfile profile, List<String> currentRoles) {
    if (!caller.hasRole(ADMIN) && !Objects.equals(profile.roles(), currentRoles)) {
      throw ApiException.missingRole("admin", "Only an admin may change roles.");
    }
    List<SubscriberRules.Violation> violations = SubscriberRules.check(profile);
    if (!violations.isEmpty()) {
      throw ApiException.invalid(
          violations.stream()
              .map(v -> Map.of("field", v.field(), "message", v.message()))
              .toList());
    }
    return publisher
        .update(caller.tenantId(), profile)
        .thenReturn(ResponseEntity.status(HttpStatus.ACCEPTED).body(profile));
  }

  private Mono<SubscriberProfile> existing(HeraldPrincipal caller, String userId) {
    return subscribers
        .find(caller.tenantId(), userId)
        .switchIfEmpty(
            Mono.error(() -> ApiException.notFound("There is no subscriber " + userId + ".")));
  }

  private static void requireSelfOrAdmin(HeraldPrincipal caller, String userId) {
    if (!caller.userId().equals(userId)) {
      requireAdmin(caller, "manage other users");
    }
  }

  private static void requireAdmin(HeraldPrincipal caller, String what) {
    if (!caller.hasRole(ADMIN)) {
      throw ApiException.missingRole("admin", "Only an admin may " + what + ".");
    }
  }

  /** RFC 7396: objects merge member by member, null removes, anything else replaces. */
  private JsonNode merge(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch;
    }
    ObjectNode result =
        target != null && target.isObject()
            ? ((ObjectNode) target).deepCopy()
            : json.createObjectNode();
    for (Map.Entry<String, JsonNode> member : patch.properties()) {
      if (member.getValue().isNull()) {
        result.remove(member.getKey());
      } else {
        result.set(member.getKey(), merge(result.get(member.getKey()), member.getValue()));
      }
    }
    return result;
  }

  private static String decodeCursor(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          List.of(Map.of("field", "cursor", "message", "is not a cursor this API returned")));
    }
  }

  private static String encodeCursor(String userId) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(userId.getBytes(StandardCharsets.UTF_8));
  }

  /** One page of subscribers by user id; {@code nextCursor} is null on the last page. */
  record SubscriberPage(List<SubscriberProfile> items, String nextCursor) {}
}
