package io.herald.deploy;

import java.nio.file.Path;
import java.util.List;

/**
 * How to run the platform: where its state lives, its ports and the services' JVM options.
 *
 * @param dataDir topics, databases, schemas, logs and the token secret
 * @param ports loopback ports
 * @param serviceJvmOptions options of each service JVM
 */
public record PlatformConfig(Path dataDir, Ports ports, List<String> serviceJvmOptions) {

  /** Small heaps and quick start-up: six services share two cores. */
  static final List<String> DEFAULT_SERVICE_JVM_OPTIONS =
      List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k");

  /**
   * notification-service (the fan-out), publishing-service (the job runner) and the channel workers
   * (every delivery) carry the hot paths: they get the optimising compiler, notification-service a
   * larger heap too (it holds the live inbox streams: 10,000 of them take about 200 MB); the
   * gateway starts faster with C1 only.
   */
  List<String> jvmOptionsOf(String service) {
    if (service.equals("gateway-service")) {
      return serviceJvmOptions;
    }
    boolean fanOut = service.equals("notification-service");
    return serviceJvmOptions.stream()
        .filter(o -> !o.startsWith("-XX:TieredStopAtLevel"))
        .map(o -> fanOut && o.startsWith("-Xmx") ? "-Xmx512m" : o)
        .toList();
  }

  public PlatformConfig {
    dataDir = dataDir.toAbsolutePath();
    serviceJvmOptions = List.copyOf(serviceJvmOptions);
  }

  public static PlatformConfig local(Path dataDir) {
    return new PlatformConfig(dataDir, Ports.defaults(), DEFAULT_SERVICE_JVM_OPTIONS);
  }

  public static PlatformConfig isolated(Path dataDir) {
    return new PlatformConfig(dataDir, Ports.free(), DEFAULT_SERVICE_JVM_OPTIONS);
  }
}
