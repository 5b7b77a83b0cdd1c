package io.herald.support.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Herald service started from its jar as a process of its own, for tests that kill it (SIGKILL)
 * and start it again: returns once its readiness probe answers 200 on a free port.
 *
 * <p>Example: {@code ServiceProcess.start("target/publishing-service.jar", List.of("-Xmx256m"),
 * List.of(), env, Path.of("target", "one.log"))}.
 */
public final class ServiceProcess {

  private ServiceProcess() {}

  /**
   * @param env the service's environment; {@code PORT} is set here
   */
  public static Process start(
      String jar,
      List<String> jvmOptions,
      List<String> arguments,
      Map<String, String> env,
      Path log)
      throws IOException {
    return start(FreePorts.next(), jar, jvmOptions, arguments, env, log);
  }

  /** Starts the service on {@code port} (e.g. from {@link FreePorts#next()}). */
  public static Process start(
      int port,
      String jar,
      List<String> jvmOptions,
      List<String> arguments,
      Map<String, String> env,
      Path log)
      throws IOException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(new File(jar).getAbsolutePath());
    command.addAll(arguments);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("PORT", Integer.toString(port));
    Process process = builder.start();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
            .build();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              assertThat(process.isAlive()).as("service process (see " + log + ")").isTrue();
              try {
                return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
              } catch (IOException e) {
                return false;
              }
            });
    return process;
  }
}
