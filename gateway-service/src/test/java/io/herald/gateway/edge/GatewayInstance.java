package io.herald.gateway.edge;

import io.herald.support.testing.ApicurioRegistryServer;
import io.herald.support.testing.FreePorts;
import io.herald.support.testing.PostgresTestDatabase;
import io.herald.support.testing.ServiceProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One gateway, started from its jar as a process of its own on a free port against the test broker,
 * registry and PostgreSQL; several of them share the database as the gateway instances of one
 * deployment do. {@link #kill()} ends it as a crash would.
 */
final class GatewayInstance implements AutoCloseable {

  private final Process process;
  private final int port;

  private GatewayInstance(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static GatewayInstance start(
      String name, String brokers, String jwtSecret, Map<String, String> extra) {
    Map<String, String> properties =
        new LinkedHashMap<>(PostgresTestDatabase.shared().properties());
    properties.put("server.address", "127.0.0.1");
    properties.put("spring.kafka.bootstrap-servers", brokers);
    properties.put("herald.registry-url", ApicurioRegistryServer.shared().url());
    properties.put("herald.security.jwt-secret", jwtSecret);
    properties.putAll(extra);
    List<String> arguments = new ArrayList<>();
    properties.forEach((key, value) -> arguments.add("--" + key + "=" + value));
    int port = FreePorts.next();
    try {
      Process process =
          ServiceProcess.start(
              port,
              "target/gateway-service.jar",
              List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"),
              arguments,
              Map.of(),
              Path.of("target", "gateway-" + name + ".log"));
      return new GatewayInstance(process, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Ends the process at once (SIGKILL), as a crash or an evicted pod would. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
