package io.herald.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a loopback port to a target port, whose connections a test can cut as a network
 * drop would: {@link #drop()} resets every open connection and refuses new ones until {@link
 * #restore()}.
 *
 * <p>Example: {@code try (DroppableProxy proxy = DroppableProxy.to(8080)) { ... proxy.drop(); ...
 * proxy.restore(); }}
 */
final class DroppableProxy implements AutoCloseable {

  private final ServerSocket server;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean down;

  private DroppableProxy(int target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("proxy-accept", this::accept);
  }

  static DroppableProxy to(int targetPort) throws IOException {
    return new DroppableProxy(targetPort);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Resets every open connection; connections made from now on are reset at once. */
  void drop() {
    down = true;
    open.forEach(this::reset);
  }

  void restore() {
    down = false;
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (down) {
        reset(client);
        continue;
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        reset(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    daemon(
        "proxy-pump",
        () -> {
          byte[] buffer = new byte[16_384];
          try (InputStream in = from.getInputStream();
              OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
              out.write(buffer, 0, n);
              out.flush();
            }
          } catch (IOException e) {
            // the other side closed or was reset
          } finally {
            reset(from);
            reset(to);
          }
        });
  }

  private static void daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void reset(Socket socket) {
    open.remove(socket);
    try {
      socket.setSoLinger(true, 0); // RST, as a dropped network shows itself
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    drop();
  }
}
