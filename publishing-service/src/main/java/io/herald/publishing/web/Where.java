package io.herald.publishing.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The optional conditions of a list query and their bindings: a filter whose value is null adds
 * nothing.
 *
 * <p>Example: {@code new Where().brands(brands, "brand_id").eq("state", "state", state)}, then
 * {@code where.bind(db.sql("SELECT … WHERE tenant_id = :tenant" + where.sql()))}.
 */
public final class Where {

  private final StringBuilder sql = new StringBuilder();
  private final Map<String, Object> bindings = new LinkedHashMap<>();

  /** {@code column = :name} when {@code value} is not null. */
  public Where eq(String column, String name, Object value) {
    if (value != null) {
      sql.append(" AND ").append(column).append(" = :").append(name);
      bindings.put(name, value);
    }
    return this;
  }

  /** {@code column = ANY(:brands)} unless {@code brands} is null (all of the tenant's). */
  public Where brands(List<String> brands, String column) {
    if (brands != null) {
      sql.append(" AND ").append(column).append(" = ANY(:brands)");
      bindings.put("brands", brands.toArray(String[]::new));
    }
    return this;
  }

  /** A condition of its own, e.g. a keyset cursor, with its bindings. */
  public Where condition(String condition, Map<String, Object> values) {
    sql.append(" AND ").append(condition);
    bindings.putAll(values);
    return this;
  }

  public String sql() {
    return sql.toString();
  }

  public DatabaseClient.GenericExecuteSpec bind(DatabaseClient.GenericExecuteSpec spec) {
    DatabaseClient.GenericExecuteSpec bound = spec;
    for (Map.Entry<String, Object> b : bindings.entrySet()) {
      bound = bound.bind(b.getKey(), b.getValue());
    }
    return bound;
  }
}
