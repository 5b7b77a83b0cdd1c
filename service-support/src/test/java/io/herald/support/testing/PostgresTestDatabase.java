package io.herald.support.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A real PostgreSQL server (embedded binaries) for a service's integration tests, one per JVM,
 * stopped when the JVM exits.
 *
 * <p>Example, in a {@code @DynamicPropertySource} method: {@code
 * PostgresTestDatabase.shared().register(registry)} points R2DBC and Flyway at it.
 */
public final class PostgresTestDatabase {

  private static PostgresTestDatabase shared;

  private final EmbeddedPostgres postgres;

  private PostgresTestDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static synchronized PostgresTestDatabase shared() {
    if (shared == null) {
      try {
        shared = new PostgresTestDatabase(EmbeddedPostgres.builder().start());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      shared.postgres.close();
                    } catch (IOException ignored) {
                      // the JVM is exiting; the server's own shutdown completes regardless
                    }
                  },
                  "embedded-postgres-stop"));
    }
    return shared;
  }

  /**
   * Points {@code spring.r2dbc.*}, {@code spring.datasource.*} and {@code spring.flyway.*} at the
   * database.
   */
  public void register(DynamicPropertyRegistry registry) {
    properties().forEach((name, value) -> registry.add(name, () -> value));
  }

  /** The same settings as {@link #register}, for an application context a test builds itself. */
  public java.util.Map<String, String> properties() {
    java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
    properties.put(
        "spring.r2dbc.url", "r2dbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres");
    properties.put("spring.r2dbc.username", "postgres");
    properties.put("spring.r2dbc.password", "postgres");
    properties.put("spring.flyway.url", postgres.getJdbcUrl("postgres", "postgres"));
    properties.put("spring.flyway.user", "postgres");
    properties.put("spring.flyway.password", "postgres");
    properties.put("spring.datasource.url", postgres.getJdbcUrl("postgres", "postgres"));
    properties.put("spring.datasource.username", "postgres");
    properties.put("spring.datasource.password", "postgres");
    return properties;
  }

  /** The server's port on 127.0.0.1, for a service started as a separate process. */
  public int port() {
    return postgres.getPort();
  }

  /** The first column of every row the query returns, as text. */
  public List<String> column(String sql) {
    List<String> values = new ArrayList<>();
    try (Connection c = dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rows = s.executeQuery(sql)) {
      while (rows.next()) {
        values.add(rows.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + sql, e);
    }
    return values;
  }

  /** The single number a {@code SELECT count(*) ...} returns. */
  public long count(String sql) {
    return Long.parseLong(column(sql).get(0));
  }

  /** Runs the statements in order, e.g. to set up rows a test needs. */
  public void execute(String... statements) {
    try (Connection c = dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Direct JDBC access, for assertions on stored rows. */
  public DataSource dataSource() {
    return postgres.getPostgresDatabase();
  }
}
