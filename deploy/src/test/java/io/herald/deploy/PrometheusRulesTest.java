package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Herald's Prometheus configuration and alert rules, checked by Prometheus's own {@code promtool}:
 * the rules load, every alert's unit tests pass (firing and not firing), and every alert has its
 * runbook section in {@code docs/operations.md}. Needs Debian's {@code prometheus} package ({@code
 * PROMTOOL} names another promtool).
 */
class PrometheusRulesTest {

  private static final Path PROMETHEUS = Path.of("prometheus");
  private static final Pattern ALERT = Pattern.compile("^\\s*- alert: (\\w+)", Pattern.MULTILINE);

  @Test
  void shouldLoadTheConfigurationAndTheRules() throws Exception {
    assertThat(promtool("check", "config", "prometheus.yml")).contains("SUCCESS");
  }

  @Test
  void shouldPassEveryAlertsUnitTests() throws Exception {
    List<String> tests = new ArrayList<>();
    try (Stream<Path> files = Files.list(PROMETHEUS.resolve("tests"))) {
      files
          .filter(f -> f.toString().endsWith(".yml"))
          .forEach(f -> tests.add("tests/" + f.getFileName()));
    }
    assertThat(tests).isNotEmpty();
    List<String> command = new ArrayList<>(List.of("test", "rules"));
    command.addAll(tests);

    assertThat(promtool(command.toArray(String[]::new))).contains("SUCCESS");
  }

  @Test
  void shouldTestAndDocumentEveryAlert() throws Exception {
    String tests = read(PROMETHEUS.resolve("tests"));
    String runbooks =
        Files.readString(Path.of("..", "docs", "operations.md"), StandardCharsets.UTF_8);
    List<String> alerts = alerts();
    assertThat(alerts).hasSizeGreaterThanOrEqualTo(8);
    for (String alert : alerts) {
      assertThat(tests).as("a unit test of " + alert).contains("alertname: " + alert);
      assertThat(runbooks)
          .as("a runbook section of " + alert + " in docs/operations.md")
          .containsIgnoringCase(
              "### " + alert.replace("BurnFast", "Burn").replace("BurnSlow", "Burn"));
    }
  }

  private static List<String> alerts() throws IOException {
    List<String> alerts = new ArrayList<>();
    Matcher matcher = ALERT.matcher(read(PROMETHEUS.resolve("rules")));
    while (matcher.find()) {
      alerts.add(matcher.group(1));
    }
    return alerts;
  }

  private static String read(Path directory) throws IOException {
    StringBuilder text = new StringBuilder();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.sorted().toList()) {
        text.append(Files.readString(file, StandardCharsets.UTF_8)).append('\n');
      }
    }
    return text.toString();
  }

  private static String promtool(String... arguments) throws Exception {
    String path = System.getenv().getOrDefault("PROMTOOL", "/usr/bin/promtool");
    if (!new File(path).canExecute()) {
      throw new IllegalStateException(
          path
              + " is missing: the alert rules' tests need Debian's prometheus package"
              + " (apt-get install prometheus; .ci/run installs it), or PROMTOOL naming another");
    }
    List<String> command = new ArrayList<>(List.of(path));
    command.addAll(List.of(arguments));
    Process process =
        new ProcessBuilder(command)
            .directory(PROMETHEUS.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
    return output;
  }
}
