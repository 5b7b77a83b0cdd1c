package io.herald.support.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    registry.add(
        "spring.r2dbc.url",
        () -> "r2dbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres");
    registry.add("spring.r2dbc.username", () -> "postgres");
    registry.add("spring.r2dbc.password", () -> "postgres");
    registry.add("spring.flyway.url", () -> postgres.getJdbcUrl("postgres", "postgres"));
    registry.add("spring.datasource.url", () -> postgres.getJdbcUrl("postgres", "postgres"));
    registry.add("spring.datasource.username", () -> "postgres");
    registry.add("spring.datasource.password", () -> "postgres");
    registry.add("spring.flyway.user", () -> "postgres");
    registry.add("spring.flyway.password", () -> "postgres");
  }

  /** The server's port on 127.0.0.1, for a service started as a separate process. */
  public int port() {
    return postgres.getPort();
  }

  /** Direct JDBC access, for assertions on stored rows. */
  public DataSource dataSource() {
    return postgres.getPostgresDatabase();
  }
}
