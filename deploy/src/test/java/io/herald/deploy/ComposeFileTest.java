package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code deploy/compose/compose.yaml}, read by Docker Compose's own parser ({@code docker-compose
 * config}, Debian's {@code docker-compose} package; {@code DOCKER_COMPOSE} names another): it is a
 * valid Compose file, every service of Herald and its infrastructure is in it with a health check
 * and resource limits, and no secret has a value in it.
 */
class ComposeFileTest {

  private static final Path COMPOSE = Path.of("compose", "compose.yaml");
  private static final Map<String, String> SETTINGS =
      Map.of(
          "POSTGRES_PASSWORD", "placeholder-password",
          "HERALD_JWT_SECRET", "placeholder-secret",
          "PUBLISHING_TOKEN_KEY", "placeholder-key",
          "GRAFANA_ADMIN_PASSWORD", "placeholder-admin");

  @Test
  @SuppressWarnings("unchecked")
  void shouldDefineEveryServiceWithHealthChecksAndLimits() throws Exception {
    Result config = compose(COMPOSE, SETTINGS);
    assertThat(config.exitCode()).as(config.output()).isZero();

    Map<String, Object> services =
        (Map<String, Object>) new Yaml().<Map<String, Object>>load(config.output()).get("services");
    List<String> expected = new ArrayList<>(Platform.SERVICES);
    expected.addAll(List.of("kafka", "registry", "postgres", "prometheus", "grafana"));
    assertThat(services).containsOnlyKeys(expected);
    services.forEach(
        (name, definition) -> {
          Map<String, Object> service = (Map<String, Object>) definition;
          assertThat(service).as(name + " health check").containsKey("healthcheck");
          assertThat(service.get("deploy"))
              .as(name + " resource limits")
              .asString()
              .contains("limits");
        });
  }

  @Test
  void shouldRefuseToStartWithoutItsSecrets() throws Exception {
    Result config = compose(COMPOSE, Map.of());

    assertThat(config.exitCode()).isNotZero();
    assertThat(config.output()).contains("set POSTGRES_PASSWORD in .env");
  }

  @Test
  void shouldFailOnABrokenFile() throws Exception {
    // The parser is strict: a misspelt key fails, so the check above can fail too.
    Path broken = Files.createTempFile(COMPOSE.getParent(), "broken-", ".yaml");
    try {
      Files.writeString(
          broken,
          Files.readString(COMPOSE).replaceFirst("start_period:", "start_periods:"),
          StandardCharsets.UTF_8);

      Result config = compose(broken, SETTINGS);

      assertThat(config.exitCode()).isNotZero();
      assertThat(config.output()).contains("start_periods");
    } finally {
      Files.delete(broken);
    }
  }

  private record Result(int exitCode, String output) {}

  private static Result compose(Path file, Map<String, String> settings) throws Exception {
    String path = System.getenv().getOrDefault("DOCKER_COMPOSE", "/usr/bin/docker-compose");
    if (!new File(path).canExecute()) {
      throw new IllegalStateException(
          path
              + " is missing: the Compose file's test needs Debian's docker-compose package"
              + " (apt-get install docker-compose; .ci/run installs it), or DOCKER_COMPOSE"
              + " naming another");
    }
    ProcessBuilder builder =
        new ProcessBuilder(path, "-f", file.toAbsolutePath().toString(), "config")
            .redirectErrorStream(true);
    // Only what the test sets: no .env of a developer's, no variable of the machine's.
    builder.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
    builder.environment().putAll(settings);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }
}
