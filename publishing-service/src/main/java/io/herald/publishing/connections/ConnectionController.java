package io.herald.publishing.connections;

import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import io.herald.publishing.web.BrandScope;
import io.herald.publishing.web.Cursor;
import io.herald.support.security.HeraldPrincipal;
import io.herald.support.web.ApiException;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Platform connections: a brand's {@code admin} starts an OAuth authorization (the answer is the
 * platform's authorize URL, with state and a PKCE challenge), the platform sends the user back to
 * {@code /oauth/callback} with a code, which is exchanged with the verifier for tokens that are
 * sealed at rest. Connections can be listed, verified against the platform's identity endpoint and
 * disconnected (the token is revoked where the platform offers it). No answer ever carries a token.
 */
@RestController
class ConnectionController {

  private static final Logger log = LoggerFactory.getLogger(ConnectionController.class);
  private static final Set<String> PLATFORMS = Set.of("X", "LINKEDIN", "FACEBOOK");

  /**
   * @param pageId for Facebook, the page to connect when the user manages several
   */
  record Authorize(String brandId, String platform, String pageId) {}

  record Authorization(String authorizeUrl, String state, Instant expiresAt) {}

  record Connections(List<ConnectionStore.View> items) {}

  private final DataSource dataSource;
  private final ConnectionStore store;
  private final OAuthFlows oauth;
  private final OAuthSettings settings;
  private final Clock clock;

  ConnectionController(
      DataSource dataSource,
      ConnectionStore store,
      OAuthFlows oauth,
      OAuthSettings settings,
      Clock clock) {
    this.dataSource = dataSource;
    this.store = store;
    this.oauth = oauth;
    this.settings = settings;
    this.clock = clock;
  }

  @PostMapping(
      path = "/api/connections/authorize",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Authorization> authorize(HeraldPrincipal caller, @RequestBody Authorize request) {
    if (request.brandId() == null || request.brandId().isBlank()) {
      throw Cursor.invalid("brandId", "brandId is required");
    }
    if (request.platform() == null || request.platform().isBlank()) {
      throw Cursor.invalid("platform", "platform is required");
    }
    requireAdminOf(caller, request.brandId());
    String platform = platform(request.platform());
    OAuthSettings.Client client = settings.platforms().get(platform);
    if (client == null || client.clientId() == null || client.clientId().isBlank()) {
      throw new ApiException(
          HttpStatus.UNPROCESSABLE_ENTITY,
          "platform-not-configured",
          "no OAuth client is configured for " + platform,
          List.of());
    }
    String state = UUID.randomUUID().toString();
    CodeVerifier verifier = new CodeVerifier();
    Instant expiresAt = clock.instant().plus(settings.stateLifetime());
    return blocking(
        () -> {
          try (Connection db = dataSource.getConnection()) {
            store.forgetExpired(db);
            store.begin(
                db,
                new ConnectionStore.PendingAuthorization(
                    state,
                    caller.tenantId(),
                    request.brandId(),
                    platform,
                    verifier.getValue(),
                    caller.userId(),
                    expiresAt,
                    request.pageId()),
                settings.redirectUri().toString());
            db.commit();
          }
          return new Authorization(
              oauth.authorizeUrl(platform, state, verifier).toString(), state, expiresAt);
        });
  }

  /**
   * Where the platform sends the user back: no bearer token (the browser comes from the platform),
   * the state is the proof, and it works once.
   */
  @GetMapping(path = "/oauth/callback", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ConnectionStore.View> callback(
      @RequestParam(name = "state", required = false) String state,
      @RequestParam(name = "code", required = false) String code,
      @RequestParam(name = "error", required = false) String error,
      @RequestParam(name = "error_description", required = false) String errorDescription) {
    if (state == null || state.isBlank()) {
      throw stateInvalid();
    }
    return blocking(
        () -> {
          ConnectionStore.PendingAuthorization pending;
          try (Connection db = dataSource.getConnection()) {
            pending = store.take(db, state);
            db.commit();
          }
          if (pending == null || pending.expiresAt().isBefore(clock.instant())) {
            throw stateInvalid();
          }
          if (error != null) {
            throw new ApiException(
                HttpStatus.BAD_REQUEST,
                "oauth-denied",
                "the platform did not grant access: "
                    + error
                    + (errorDescription == null ? "" : " (" + errorDescription + ")"),
                List.of());
          }
          if (code == null || code.isBlank()) {
            throw stateInvalid();
          }
          OAuthFlows.Issued issued;
          OAuthFlows.Identity identity;
          try {
            OAuthFlows.Granted granted =
                oauth.connect(
                    pending.platform(),
                    code,
                    new CodeVerifier(pending.codeVerifier()),
                    pending.accountHint());
            issued = granted.issued();
            identity = granted.identity();
          } catch (OAuthFlows.PageChoiceException e) {
            throw ApiException.conflict(
                "facebook-page-required", e.getMessage(), Map.of("pages", e.granted()));
          } catch (OAuthFlows.OAuthException e) {
            log.info(
                "OAuth code exchange for {} failed: {} {}",
                pending.platform(),
                e.code(),
                e.getMessage());
            throw new ApiException(
                e.retryable() ? HttpStatus.BAD_GATEWAY : HttpStatus.BAD_REQUEST,
                "oauth-exchange-failed",
                "the platform refused the authorization: " + e.code() + ": " + e.getMessage(),
                List.of());
          }
          try (Connection db = dataSource.getConnection()) {
            String existing =
                store.existing(
                    db,
                    pending.tenantId(),
                    pending.brandId(),
                    pending.platform(),
                    identity.accountId());
            String connectionId = existing != null ? existing : UUID.randomUUID().toString();
            store.save(
                db,
                new PlatformConnection(
                    pending.tenantId(),
                    connectionId,
                    pending.brandId(),
                    pending.platform(),
                    identity.accountId(),
                    identity.accountName(),
                    "connected",
                    issued.accessToken(),
                    issued.expiresAt()),
                issued.refreshToken());
            db.commit();
            return store.view(db, pending.tenantId(), null, connectionId).orElseThrow();
          }
        });
  }

  @GetMapping(path = "/api/connections", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Connections> list(
      HeraldPrincipal caller,
      @RequestParam(name = "brandId", required = false) String brandId,
      @RequestParam(name = "platform", required = false) String platform) {
    List<String> brands = BrandScope.of(caller);
    if (brandId != null) {
      if (brands != null && !brands.contains(brandId)) {
        return Mono.just(new Connections(List.of()));
      }
      brands = List.of(brandId);
    }
    List<String> scope = brands;
    String only = platform == null ? null : platform(platform);
    return blocking(
        () -> {
          try (Connection db = dataSource.getConnection()) {
            List<ConnectionStore.View> views = store.list(db, caller.tenantId(), scope, only);
            db.commit();
            return new Connections(views);
          }
        });
  }

  @GetMapping(path = "/api/connections/{connectionId}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ConnectionStore.View> one(HeraldPrincipal caller, @PathVariable String connectionId) {
    return blocking(() -> find(caller, connectionId));
  }

  /** Asks the platform whose token it is: connected, expired or revoked. */
  @PostMapping(
      path = "/api/connections/{connectionId}/verify",
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ConnectionStore.View> verify(HeraldPrincipal caller, @PathVariable String connectionId) {
    return blocking(
        () -> {
          ConnectionStore.View view = find(caller, connectionId);
          requireAdminOf(caller, view.brandId());
          ConnectionStore.Key key = new ConnectionStore.Key(caller.tenantId(), connectionId);
          PlatformConnection connection;
          try (Connection db = dataSource.getConnection()) {
            connection = store.load(db, List.of(key)).get(key);
            db.commit();
          }
          String status;
          try {
            oauth.identity(connection.platform(), connection.accessToken());
            status = "connected";
          } catch (OAuthFlows.OAuthException e) {
            if (e.retryable()) {
              throw new ApiException(
                  HttpStatus.BAD_GATEWAY, "upstream-unavailable", e.getMessage(), List.of());
            }
            status =
                connection.expiresAt() != null && connection.expiresAt().isBefore(clock.instant())
                    ? "expired"
                    : "revoked";
          }
          try (Connection db = dataSource.getConnection()) {
            store.markStatus(db, key, status);
            db.commit();
          }
          return find(caller, connectionId);
        });
  }

  /** Revokes the token at the platform where it offers revocation, then forgets the connection. */
  @DeleteMapping("/api/connections/{connectionId}")
  Mono<ResponseEntity<Void>> disconnect(HeraldPrincipal caller, @PathVariable String connectionId) {
    return blocking(
        () -> {
          ConnectionStore.View view = find(caller, connectionId);
          requireAdminOf(caller, view.brandId());
          ConnectionStore.Key key = new ConnectionStore.Key(caller.tenantId(), connectionId);
          try (Connection db = dataSource.getConnection()) {
            PlatformConnection connection = store.load(db, List.of(key)).get(key);
            try {
              oauth.revoke(connection.platform(), connection.accessToken());
            } catch (OAuthFlows.OAuthException e) {
              if (e.retryable()) {
                throw new ApiException(
                    HttpStatus.BAD_GATEWAY,
                    "upstream-unavailable",
                    "the platform did not confirm the revocation; try again: " + e.getMessage(),
                    List.of());
              }
            }
            store.delete(db, key);
            db.commit();
          }
          return ResponseEntity.noContent().<Void>build();
        });
  }

  private ConnectionStore.View find(HeraldPrincipal caller, String connectionId) throws Exception {
    List<String> brands = BrandScope.of(caller);
    try (Connection db = dataSource.getConnection()) {
      Optional<ConnectionStore.View> view = store.view(db, caller.tenantId(), brands, connectionId);
      db.commit();
      return view.orElseThrow(() -> ApiException.notFound("no connection " + connectionId));
    }
  }

  private static void requireAdminOf(HeraldPrincipal caller, String brandId) {
    if (!caller.hasRole("admin")) {
      throw ApiException.missingRole("admin", "managing platform connections needs the role admin");
    }
    if (!caller.mayActFor(brandId)) {
      throw ApiException.forbidden("your token does not let you act for brand " + brandId);
    }
  }

  private static String platform(String value) {
    String platform = value.toUpperCase(Locale.ROOT);
    if (!PLATFORMS.contains(platform)) {
      throw Cursor.invalid("platform", "platform is one of " + PLATFORMS);
    }
    return platform;
  }

  private static ApiException stateInvalid() {
    return new ApiException(
        HttpStatus.BAD_REQUEST,
        "oauth-state-invalid",
        "this authorization is unknown, expired or already used; start it again",
        List.of(Map.of("field", "state", "message", "unknown, expired or used")));
  }

  private static <T> Mono<T> blocking(Callable<T> work) {
    return Mono.fromCallable(work).subscribeOn(Schedulers.boundedElastic());
  }
}
