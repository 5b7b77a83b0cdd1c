package io.herald.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to run the platform: where its state lives, its ports and the services' JVM options.
 *
 * <p>Example: {@code Platform.start(PlatformConfig.local(Path.of(".herald")).asTuned())}.
 *
 * @param dataDir topics, databases, schemas, logs and the token secret
 * @param ports loopback ports
 * @param tuned production JVM settings for every service instead of the start-up-tuned defaults
 * @param traces an OTLP/HTTP traces endpoint (e.g. {@code http://127.0.0.1:4318/v1/traces}) the
 *     services export every trace to; null exports nothing (trace ids are still logged)
 * @param logLevel the level of Herald's own loggers in every service; null keeps INFO. At DEBUG
 *     each service logs a line per request, delivery and job it handles, with their ids
 */
public record PlatformConfig(
    Path dataDir, Ports ports, boolean tuned, String traces, String logLevel) {

  /** The serial collector and small thread stacks: nine JVMs share two cores. */
  private static final List<String> BASE_OPTIONS = List.of("-XX:+UseSerialGC", "-Xss512k");

  /**
   * The options of one service's JVM.
   *
   * <p>By default the platform is tuned for start-up: heaps start at 64 MB and grow, and the
   * gateway runs with the quick compiler only (it starts sooner, and spends about twice the CPU per
   * request once it is busy). notification-service (the fan-out), publishing-service (the job
   * runner) and the channel workers (every delivery) carry the hot paths and always get the
   * optimising compiler; notification-service gets a larger heap too (it holds the live inbox
   * streams: 10,000 of them take about 200 MB).
   *
   * <p>Tuned ({@code ./herald run --tuned}), every service gets the optimising compiler and its
   * whole heap from the start: no full collections while a heap grows under load. This is what load
   * tests and benchmarks of the running platform use.
   */
  List<String> jvmOptionsOf(String service) {
    String max = service.equals("notification-service") ? "512m" : "256m";
    List<String> options = new ArrayList<>();
    options.add("-Xms" + (tuned ? max : "64m"));
    options.add("-Xmx" + max);
    options.addAll(BASE_OPTIONS);
    if (!tuned && service.equals("gateway-service")) {
      options.add("-XX:TieredStopAtLevel=1");
    }
    return List.copyOf(options);
  }

  public PlatformConfig {
    dataDir = dataDir.toAbsolutePath();
  }

  /** The same platform with production JVM settings (see {@link #jvmOptionsOf}). */
  public PlatformConfig asTuned() {
    return new PlatformConfig(dataDir, ports, true, traces, logLevel);
  }

  /** The same platform exporting traces to an OTLP/HTTP endpoint; null or blank exports none. */
  public PlatformConfig withTraces(String endpoint) {
    return new PlatformConfig(
        dataDir, ports, tuned, endpoint == null || endpoint.isBlank() ? null : endpoint, logLevel);
  }

  /** The same platform with Herald's loggers at {@code level} (e.g. DEBUG); null keeps INFO. */
  public PlatformConfig withLogLevel(String level) {
    return new PlatformConfig(
        dataDir, ports, tuned, traces, level == null || level.isBlank() ? null : level);
  }

  public static PlatformConfig local(Path dataDir) {
    return new PlatformConfig(dataDir, Ports.defaults(), false, null, null);
  }

  public static PlatformConfig isolated(Path dataDir) {
    return new PlatformConfig(dataDir, Ports.free(), false, null, null);
  }
}
