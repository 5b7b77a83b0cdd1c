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
   * notification-service carries the fan-out's hot path: it gets the optimising compiler and a
   * larger heap; the others start faster with C1 only.
   */
  List<String> jvmOptionsOf(String service) {
    if (!service.equals("notification-service")) {
      return serviceJvmOptions;
    }
    return serviceJvmOptions.stream()
        .filter(o -> !o.startsWith("-XX:TieredStopAtLevel"))
        .map(o -> o.startsWith("-Xmx") ? "-Xmx384m" : o)
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
