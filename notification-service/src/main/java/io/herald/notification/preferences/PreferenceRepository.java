package io.herald.notification.preferences;

import io.r2dbc.spi.ConnectionFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** Tenant categories, tenant defaults and user choices for the HTTP API; scoped to one tenant. */
@Repository
class PreferenceRepository {

  private final DatabaseClient db;
  private final TransactionalOperator transaction;

  PreferenceRepository(DatabaseClient db, ConnectionFactory connections) {
    this.db = db;
    this.transaction = TransactionalOperator.create(new R2dbcTransactionManager(connections));
  }

  /** category → (critical, channel → enabled), by category name. */
  Mono<Map<String, TenantCategory>> tenant(String tenantId) {
    return db.sql(
            """
            SELECT c.category, c.critical, p.channel, p.enabled
              FROM notification_categories c
              LEFT JOIN tenant_preferences p
                ON p.tenant_id = c.tenant_id AND p.category = c.category
             WHERE c.tenant_id = :tenant
             ORDER BY c.category, p.channel
            """)
        .bind("tenant", tenantId)
        .map(
            row ->
                new Object[] {
                  row.get("category", String.class),
                  row.get("critical", Boolean.class),
                  row.get("channel", String.class),
                  row.get("enabled", Boolean.class)
                })
        .all()
        .collectList()
        .map(
            rows -> {
              Map<String, TenantCategory> categories = new TreeMap<>();
              for (Object[] r : rows) {
                TenantCategory c =
                    categories.computeIfAbsent(
                        (String) r[0],
                        k -> new TenantCategory((Boolean) r[1], new LinkedHashMap<>()));
                if (r[2] != null) {
                  c.channels().put((String) r[2], (Boolean) r[3]);
                }
              }
              return categories;
            });
  }

  /** Replaces the tenant's categories and defaults in one transaction. */
  Mono<Void> replaceTenant(String tenantId, Map<String, TenantCategory> categories) {
    List<String> names = new ArrayList<>();
    List<Boolean> critical = new ArrayList<>();
    List<String> defaultCategories = new ArrayList<>();
    List<String> channels = new ArrayList<>();
    List<Boolean> enabled = new ArrayList<>();
    categories.forEach(
        (name, c) -> {
          names.add(name);
          critical.add(c.critical());
          PreferenceRules.nullSafe(c.channels())
              .forEach(
                  (channel, on) -> {
                    defaultCategories.add(name);
                    channels.add(channel);
                    enabled.add(on);
                  });
        });
    Mono<Void> replace =
        db.sql("DELETE FROM notification_categories WHERE tenant_id = :tenant")
            .bind("tenant", tenantId)
            .then()
            .then(
                db.sql(
                        """
                        INSERT INTO notification_categories (tenant_id, category, critical)
                        SELECT :tenant, * FROM unnest(:names::text[], :critical::boolean[])
                        """)
                    .bind("tenant", tenantId)
                    .bind("names", names.toArray(String[]::new))
                    .bind("critical", critical.toArray(Boolean[]::new))
                    .then())
            .then(
                db.sql(
                        """
                        INSERT INTO tenant_preferences (tenant_id, category, channel, enabled)
                        SELECT :tenant, * FROM unnest(:categories::text[], :channels::text[],
                                                      :enabled::boolean[])
                        """)
                    .bind("tenant", tenantId)
                    .bind("categories", defaultCategories.toArray(String[]::new))
                    .bind("channels", channels.toArray(String[]::new))
                    .bind("enabled", enabled.toArray(Boolean[]::new))
                    .then());
    return transaction.transactional(replace);
  }

  /** The user's choices: category ('*' for every category) → channel → enabled. */
  Mono<Map<String, Map<String, Boolean>>> user(String tenantId, String userId) {
    return db.sql(
            """
            SELECT category, channel, enabled FROM user_preferences
             WHERE tenant_id = :tenant AND user_id = :user
             ORDER BY category, channel
            """)
        .bind("tenant", tenantId)
        .bind("user", userId)
        .map(
            row ->
                new Object[] {
                  row.get("category", String.class),
                  row.get("channel", String.class),
                  row.get("enabled", Boolean.class)
                })
        .all()
        .collectList()
        .map(
            rows -> {
              Map<String, Map<String, Boolean>> choices = new TreeMap<>();
              for (Object[] r : rows) {
                choices
                    .computeIfAbsent((String) r[0], k -> new LinkedHashMap<>())
                    .put((String) r[1], (Boolean) r[2]);
              }
              return choices;
            });
  }

  Mono<Void> replaceUser(
      String tenantId, String userId, Map<String, Map<String, Boolean>> choices) {
    List<String> categories = new ArrayList<>();
    List<String> channels = new ArrayList<>();
    List<Boolean> enabled = new ArrayList<>();
    choices.forEach(
        (category, byChannel) ->
            byChannel.forEach(
                (channel, on) -> {
                  categories.add(category);
                  channels.add(channel);
                  enabled.add(on);
                }));
    Mono<Void> replace =
        db.sql("DELETE FROM user_preferences WHERE tenant_id = :tenant AND user_id = :user")
            .bind("tenant", tenantId)
            .bind("user", userId)
            .then()
            .then(
                db.sql(
                        """
                        INSERT INTO user_preferences (tenant_id, user_id, category, channel,
                                                      enabled)
                        SELECT :tenant, :user, * FROM unnest(:categories::text[],
                                                             :channels::text[],
                                                             :enabled::boolean[])
                        """)
                    .bind("tenant", tenantId)
                    .bind("user", userId)
                    .bind("categories", categories.toArray(String[]::new))
                    .bind("channels", channels.toArray(String[]::new))
                    .bind("enabled", enabled.toArray(Boolean[]::new))
                    .then());
    return transaction.transactional(replace);
  }

  /**
   * A tenant category: whether it is critical, and the tenant's default per channel (a channel not
   * named is delivered).
   */
  record TenantCategory(Boolean critical, Map<String, Boolean> channels) {

    /** A category sent without {@code critical} is not critical. */
    TenantCategory {
      critical = Boolean.TRUE.equals(critical);
    }
  }
}
