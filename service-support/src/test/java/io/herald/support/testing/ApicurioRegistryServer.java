package io.herald.support.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Apicurio Registry server for integration tests, run as a child process from the
 * distribution the build fetched ({@code -Dherald.apicurio.dist=...tar.gz}), on a free loopback
 * port, with in-memory storage and the BACKWARD compatibility rule for every subject.
 *
 * <p>One server serves every test class of a JVM: {@code ApicurioRegistryServer.shared().url()}.
 */
public final class ApicurioRegistryServer {

  private static ApicurioRegistryServer shared;

  private final Process process;
  private final int port;

  private ApicurioRegistryServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static synchronized ApicurioRegistryServer shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "apicurio-registry-stop"));
    }
    return shared;
  }

  /** The registry's v3 API, as the serdes take it. */
  public String url() {
    return baseUrl() + "/apis/registry/v3";
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The Confluent-compatible API. */
  public String ccompatUrl() {
    return baseUrl() + "/apis/ccompat/v7";
  }

  public void stop() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ApicurioRegistryServer start() {
    try {
      Path home = unpacked();
      int port = FreePorts.next();
      Path log = Files.createTempFile("apicurio-registry-", ".log");
      Process process =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-Xmx384m",
                      "-XX:TieredStopAtLevel=1",
                      "-Dquarkus.http.host=127.0.0.1",
                      "-Dquarkus.http.port=" + port,
                      "-Dquarkus.management.enabled=false",
                      "-Dquarkus.management.host=127.0.0.1",
                      "-jar",
                      runnerJar(home).toString()))
              .directory(home.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      ApicurioRegistryServer server = new ApicurioRegistryServer(process, port);
      server.awaitReady(Duration.ofSeconds(120), log);
      server.put("/apis/ccompat/v7/config", "{\"compatibility\":\"BACKWARD\"}");
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Apicurio Registry", e);
    }
  }

  private void awaitReady(Duration timeout, Path log) {
    HttpClient client = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Apicurio Registry exited early; see " + log);
      }
      try {
        HttpResponse<Void> response =
            client.send(
                HttpRequest.newBuilder(URI.create(baseUrl() + "/health/ready")).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      pause();
    }
    stop();
    throw new IllegalStateException(
        "Apicurio Registry not ready after " + timeout + "; see " + log);
  }

  private void put(String path, String json) {
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(baseUrl() + path))
                      .header("Content-Type", "application/json")
                      .PUT(HttpRequest.BodyPublishers.ofString(json))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(path + " answered " + response.statusCode());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Unpacks the distribution once per machine and version into the temp folder. */
  private static synchronized Path unpacked() throws IOException {
    String dist = System.getProperty("herald.apicurio.dist");
    if (dist == null || !Files.isRegularFile(Path.of(dist))) {
      throw new IllegalStateException(
          "Apicurio Registry distribution not found at '"
              + dist
              + "': run ./mvnw validate at the repository root once (it fetches the distribution),"
              + " or set -Dherald.apicurio.dist");
    }
    Path archive = Path.of(dist);
    String name = archive.getFileName().toString().replace(".tar.gz", "");
    Path target = Path.of(System.getProperty("java.io.tmpdir"), "herald-" + name);
    Path marker = target.resolve(".unpacked");
    if (Files.exists(marker)) {
      return target;
    }
    Path staging = Files.createTempDirectory(target.getParent(), "herald-unpack-");
    run(List.of("tar", "-xzf", archive.toString(), "-C", staging.toString()));
    Files.createFile(staging.resolve(".unpacked"));
    try {
      Files.move(staging, target);
    } catch (IOException alreadyThere) {
      // another JVM unpacked it first
      if (!Files.exists(marker)) {
        throw alreadyThere;
      }
    }
    return target;
  }

  private static Path runnerJar(Path home) throws IOException {
    try (var files = Files.list(home)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no *-runner.jar in " + home));
    }
  }

  private static void run(List<String> command) throws IOException {
    try {
      Process p = new ProcessBuilder(command).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", command) + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
