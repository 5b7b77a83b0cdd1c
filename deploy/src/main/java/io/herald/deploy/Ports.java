package io.herald.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loopback ports of one local platform.
 *
 * <p>Example: {@code Ports.defaults().gateway()} is 8080; {@code Ports.free()} picks unused ports,
 * as the tests do.
 */
public record Ports(
    int gateway,
    int notification,
    int publishing,
    int emailWorker,
    int whatsappWorker,
    int pushWorker,
    int kafka,
    int kafkaController,
    int registry,
    int postgres,
    int smtp,
    int mailApi,
    int simulators,
    int prometheus) {

  /** How many ports a platform takes. */
  static final int COUNT = 14;

  public static Ports defaults() {
    // Prometheus on 9095, not its usual 9090: Debian's package starts a system one there.
    return new Ports(
        8080, 8081, 8082, 8083, 8084, 8085, 9092, 9093, 8180, 55432, 3025, 8025, 8090, 9095);
  }

  /** Fourteen distinct free ports: all sockets are held open together, then released. */
  public static Ports free() {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < COUNT; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      int[] p = sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
      return new Ports(
          p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);
    } catch (IOException e) {
      throw new IllegalStateException("no free ports", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a listening socket we own; nothing to recover
        }
      }
    }
  }

  /** Every port by what listens on it, for checks and messages. */
  public Map<String, Integer> byOwner() {
    Map<String, Integer> all = new LinkedHashMap<>();
    all.put("gateway-service", gateway);
    all.put("notification-service", notification);
    all.put("publishing-service", publishing);
    all.put("email-worker", emailWorker);
    all.put("whatsapp-worker", whatsappWorker);
    all.put("push-worker", pushWorker);
    all.put("Kafka broker", kafka);
    all.put("Kafka controller", kafkaController);
    all.put("Apicurio Registry", registry);
    all.put("PostgreSQL", postgres);
    all.put("GreenMail SMTP", smtp);
    all.put("GreenMail API", mailApi);
    all.put("provider simulators (WireMock)", simulators);
    all.put("Prometheus", prometheus);
    return all;
  }

  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
