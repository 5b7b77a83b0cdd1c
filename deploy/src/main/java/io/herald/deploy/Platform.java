package io.herald.deploy;

import io.herald.support.security.HeraldPrincipal;
import io.herald.support.security.TokenIssuer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * The whole Herald platform on one machine: a KRaft Kafka broker, Apicurio Registry, PostgreSQL,
 * GreenMail, the provider simulators and the six services, each in its own process, everything
 * bound to 127.0.0.1. State (topics, databases, schemas) lives in the data folder and survives a
 * restart.
 *
 * <p>Example: {@code try (Platform p = Platform.start(PlatformConfig.local(dataDir))) { ... }}.
 */
public final class Platform implements AutoCloseable {

  static final List<String> SERVICES =
      List.of(
          "notification-service",
          "gateway-service",
          "publishing-service",
          "email-worker",
          "whatsapp-worker",
          "push-worker");

  private static final String PROCESS_LIST = "platform.processes";

  private final PlatformConfig config;
  private final PlatformLayout layout;
  private final List<ManagedProcess> processes = Collections.synchronizedList(new ArrayList<>());
  private FileChannel lockChannel;
  private FileLock lock;
  private EmbeddedPostgres postgres;
  private String jwtSecret;
  private ProviderCredentials credentials;
  private volatile boolean closed;
  private volatile boolean prometheusStarted;

  private Platform(PlatformConfig config, PlatformLayout layout) {
    this.config = config;
    this.layout = layout;
  }

  public static Platform start(PlatformConfig config) {
    return prepare(config).start();
  }

  /**
   * A platform not started yet: a caller that must be able to stop it while it starts (a shutdown
   * hook for Ctrl-C or SIGTERM) takes hold of it first, then calls {@link #start()}.
   */
  public static Platform prepare(PlatformConfig config) {
    return new Platform(config, PlatformLayout.fromBuild());
  }

  /**
   * Starts everything and returns once every service is ready. {@link #close()} from another thread
   * meanwhile stops what was started so far, and nothing is started after it.
   */
  public Platform start() {
    try {
      startAll();
      return this;
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  public PlatformConfig config() {
    return config;
  }

  public Ports ports() {
    return config.ports();
  }

  /** Process ids of every child process started, for checks that nothing is left behind. */
  public List<Long> childProcessIds() {
    synchronized (processes) {
      return processes.stream().map(ManagedProcess::pid).toList();
    }
  }

  public String gatewayUrl() {
    return "http://127.0.0.1:" + ports().gateway();
  }

  /** The HS256 secret the services check tokens with. */
  public byte[] jwtSecret() {
    return jwtSecret.getBytes(StandardCharsets.UTF_8);
  }

  private void startAll() {
    Path data = config.dataDir();
    try {
      Files.createDirectories(data.resolve("logs"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    acquireLock(data);
    stopLeftovers(data);
    checkPortsFree();
    checkBuilt();
    stageServiceJars(data.resolve("services"));
    jwtSecret = jwtSecret(data);
    credentials = ProviderCredentials.in(data, simulatorsBase());

    log("Starting PostgreSQL on 127.0.0.1:" + ports().postgres());
    startPostgres(data.resolve("postgres"));
    createDatabases(
        "gateway",
        "notification",
        "publishing",
        "email_worker",
        "whatsapp_worker",
        "push_worker",
        "registry");

    log("Starting Kafka (KRaft) on 127.0.0.1:" + ports().kafka());
    ManagedProcess kafka = startKafka(data.resolve("kafka"));
    log("Starting Apicurio Registry on 127.0.0.1:" + ports().registry());
    ManagedProcess registry = startRegistry(data);
    log("Starting GreenMail (SMTP " + ports().smtp() + ", API " + ports().mailApi() + ")");
    ManagedProcess mail = startGreenMail();
    log("Starting provider simulators (WireMock) on 127.0.0.1:" + ports().simulators());
    ManagedProcess simulators = startSimulators();

    CompletableFuture.allOf(
            CompletableFuture.runAsync(() -> awaitKafka(kafka)),
            CompletableFuture.runAsync(
                () -> await(registry, () -> Http.status(registryBase() + "/health/ready"), 180)),
            CompletableFuture.runAsync(
                () -> await(mail, () -> Http.status(mailApiBase() + "/api/service/readiness"), 90)),
            CompletableFuture.runAsync(
                () ->
                    await(simulators, () -> Http.status(simulatorsBase() + "/__admin/health"), 90)))
        .join();
    setCompatibilityRule();

    log("Starting services " + SERVICES);
    Map<String, ManagedProcess> services = new LinkedHashMap<>();
    for (String service : SERVICES) {
      services.put(service, startService(service));
    }
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    Path prometheus = prometheusBinary();
    if (prometheus == null) {
      log(
          "Prometheus not found, starting without it: install Debian's prometheus package"
              + " (apt-get install prometheus) or set HERALD_PROMETHEUS to a prometheus binary"
              + " for metrics and alerts at "
              + prometheusUrl());
    } else {
      log("Starting Prometheus on 127.0.0.1:" + ports().prometheus());
      ManagedProcess process = startPrometheus(prometheus, data.resolve("prometheus"));
      ready.add(
          CompletableFuture.runAsync(
              () -> await(process, () -> Http.status(prometheusUrl() + "/-/ready"), 60)));
      prometheusStarted = true;
    }
    services.forEach(
        (name, process) ->
            ready.add(
                CompletableFuture.runAsync(
                    () ->
                        await(
                            process,
                            () ->
                                Http.status(
                                    "http://127.0.0.1:"
                                        + port(name)
                                        + "/actuator/health/readiness"),
                            240))));
    try {
      CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).join();
    } catch (RuntimeException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
    seedDemoSubscribers();
  }

  /**
   * The demo tenants' subscribers, created through the subscriber API as an admin of each tenant
   * would, then awaited until notification-service has applied them.
   */
  private void seedDemoSubscribers() {
    log("Registering demo subscribers (acme: alice, bob, carol; globex: dave)");
    Map<String, String> demo = new LinkedHashMap<>();
    demo.put(
        "acme/alice",
        "{\"roles\":[\"admin\",\"editor\"],\"email\":\"alice@acme.example\","
            + "\"phone\":\"+15550100001\",\"pushContacts\":["
            + "{\"platform\":\"FCM\",\"token\":\""
            + DEMO_FCM_TOKEN
            + "\"},{\"platform\":\"WEB_PUSH\",\"token\":\""
            + demoWebPushEndpoint()
            + "\",\"keys\":{\"p256dh\":\""
            + credentials.get("demo-subscription.p256dh")
            + "\",\"auth\":\""
            + credentials.get("demo-subscription.auth")
            + "\"}}]}");
    demo.put(
        "acme/bob",
        "{\"roles\":[\"editor\"],\"email\":\"bob@acme.example\",\"phone\":\"+15550100002\"}");
    demo.put("acme/carol", "{\"roles\":[\"viewer\"],\"email\":\"carol@acme.example\"}");
    demo.put(
        "globex/dave",
        "{\"roles\":[\"admin\"],\"email\":\"dave@globex.example\",\"phone\":\"+15550200001\"}");
    TokenIssuer tokens = new TokenIssuer(jwtSecret(), java.time.Clock.systemUTC());
    demo.forEach(
        (key, profile) -> {
          String tenant = key.substring(0, key.indexOf('/'));
          String user = key.substring(key.indexOf('/') + 1);
          String admin =
              tokens.issue(
                  new HeraldPrincipal(tenant, "herald-launcher", List.of("admin")),
                  Duration.ofMinutes(5));
          String url = gatewayUrl() + "/api/subscribers/" + user;
          try {
            // The first requests reach services still compiling their hot paths; on a loaded
            // machine one may take longer than the client waits, so it is tried again.
            int status = -1;
            long tryUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (status < 0) {
              try {
                status = Http.send("PUT", url, admin, profile).statusCode();
              } catch (IOException e) {
                if (System.nanoTime() > tryUntil) {
                  throw e;
                }
                pause(1_000);
              }
            }
            if (status != 202) {
              throw new PlatformException(
                  "registering demo subscriber " + key + " answered " + status);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Http.send("GET", url, admin, null).statusCode() != 200) {
              if (System.nanoTime() > deadline) {
                throw new PlatformException("demo subscriber " + key + " was not applied in 60 s");
              }
              pause(100);
            }
          } catch (IOException e) {
            throw new UncheckedIOException("cannot register demo subscriber " + key, e);
          }
        });
  }

  private void acquireLock(Path data) {
    try {
      lockChannel =
          FileChannel.open(
              data.resolve("platform.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this very JVM
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + data, e);
    }
    if (lock == null) {
      String pid = readQuietly(data.resolve("platform.pid"));
      throw new PlatformException(
          "Herald is already running from "
              + data
              + (pid.isEmpty() ? "" : " (launcher pid " + pid + ")")
              + ". Stop it (Ctrl-C in its terminal) before starting it again.");
    }
    try {
      Files.writeString(data.resolve("platform.pid"), Long.toString(ProcessHandle.current().pid()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A launcher killed with SIGKILL cannot stop its children; the next start finds them in the
   * process list it keeps and stops them (only processes whose pid and start time both match).
   */
  private void stopLeftovers(Path data) {
    Path list = data.resolve(PROCESS_LIST);
    if (!Files.exists(list)) {
      return;
    }
    try {
      List<String> lines = new ArrayList<>(Files.readAllLines(list));
      Collections.reverse(lines); // services before the infrastructure they use
      for (String line : lines) {
        String[] fields = line.split(" ");
        if (fields.length != 3) {
          continue;
        }
        long pid = Long.parseLong(fields[0]);
        Instant started = Instant.parse(fields[1]);
        ProcessHandle.of(pid)
            .filter(ProcessHandle::isAlive)
            .filter(h -> h.info().startInstant().map(started::equals).orElse(false))
            .ifPresent(
                h -> {
                  log("Stopping " + fields[2] + " (pid " + pid + ") left by an earlier launcher");
                  h.destroy();
                  h.onExit().completeOnTimeout(h, 30, TimeUnit.SECONDS).join();
                  if (h.isAlive()) {
                    h.destroyForcibly();
                  }
                });
      }
      Files.delete(list);
    } catch (IOException | RuntimeException e) {
      log("Could not check for processes left by an earlier launcher: " + e.getMessage());
    }
  }

  private void remember(ManagedProcess process) {
    remember(process.pid(), process.name());
  }

  private void remember(long pid, String name) {
    ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
    if (handle == null) {
      return;
    }
    String line =
        pid
            + " "
            + handle.info().startInstant().map(Instant::toString).orElse("-")
            + " "
            + name
            + "\n";
    try {
      Files.writeString(
          config.dataDir().resolve(PROCESS_LIST),
          line,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      log("cannot record " + name + ": " + e.getMessage());
    }
  }

  private void checkPortsFree() {
    List<String> busy = new ArrayList<>();
    ports()
        .byOwner()
        .forEach(
            (owner, port) -> {
              if (!Ports.isFree(port)) {
                busy.add(port + " (" + owner + ")");
              }
            });
    if (!busy.isEmpty()) {
      throw new PlatformException(
          "Ports already in use on 127.0.0.1: "
              + String.join(", ", busy)
              + ". Stop what uses them; nothing was started.");
    }
  }

  /**
   * Copies each service's jar into the data folder, where the service then runs from: a build while
   * the platform runs (which rewrites {@code <module>/target/<module>.jar}) never changes a jar
   * under a running JVM. A copy whose size and time match the build's is kept as it is.
   */
  private void stageServiceJars(Path dir) {
    try {
      Files.createDirectories(dir);
      for (String service : SERVICES) {
        Path built = layout.serviceJar(service);
        Path staged = dir.resolve(service + ".jar");
        if (Files.exists(staged)
            && Files.size(staged) == Files.size(built)
            && Files.getLastModifiedTime(staged).equals(Files.getLastModifiedTime(built))) {
          continue;
        }
        Path partial = dir.resolve(service + ".jar.partial");
        Files.copy(
            built,
            partial,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        Files.move(
            partial,
            staged,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the service jars into " + dir, e);
    }
  }

  private Path stagedJar(String service) {
    return config.dataDir().resolve("services").resolve(service + ".jar");
  }

  private void checkBuilt() {
    List<String> missing = new ArrayList<>();
    for (String service : SERVICES) {
      if (!Files.isRegularFile(layout.serviceJar(service))) {
        missing.add(layout.serviceJar(service).toString());
      }
    }
    for (String tool : List.of("greenmail-standalone", "wiremock-standalone")) {
      if (!Files.isRegularFile(layout.tool(tool))) {
        missing.add(layout.tool(tool).toString());
      }
    }
    if (!Files.isRegularFile(layout.apicurioDist())) {
      missing.add(layout.apicurioDist().toString());
    }
    if (!missing.isEmpty()) {
      throw new PlatformException(
          "Not built yet: " + missing + ". Run ./herald run, which builds first.");
    }
  }

  private static String jwtSecret(Path data) {
    Path file = data.resolve("jwt-secret");
    try {
      if (!Files.exists(file)) {
        byte[] random = new byte[48];
        new SecureRandom().nextBytes(random);
        Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
      }
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }

  /** The secret of a data folder, for minting tokens against a running platform. */
  static byte[] jwtSecretOf(Path data) {
    return jwtSecret(data).getBytes(StandardCharsets.UTF_8);
  }

  private void startPostgres(Path dir) {
    try {
      EmbeddedPostgres started =
          EmbeddedPostgres.builder()
              .setPort(ports().postgres())
              .setDataDirectory(dir)
              .setCleanDataDirectory(false)
              .setServerConfig("listen_addresses", "127.0.0.1")
              // The embedded defaults trade durability for test speed; the platform keeps data.
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", "on")
              // PostgreSQL's default (128 MB) keeps little of the activity and inbox indexes in
              // memory once they hold millions of rows; tuned, the platform gives it 1 GB.
              .setServerConfig("shared_buffers", config.tuned() ? "1GB" : "256MB")
              .setPGStartupWait(Duration.ofSeconds(60))
              .setOutputRedirector(
                  ProcessBuilder.Redirect.appendTo(
                      config.dataDir().resolve("logs/postgres.log").toFile()))
              .start();
      synchronized (processes) {
        if (closed) {
          started.close();
          throw new PlatformException("stopped while starting PostgreSQL");
        }
        postgres = started;
      }
    } catch (IOException e) {
      throw new PlatformException("PostgreSQL did not start: " + e.getMessage(), e);
    }
    try {
      // The postmaster's pid is the first line of postmaster.pid.
      String pid = Files.readAllLines(dir.resolve("postmaster.pid")).get(0).trim();
      remember(Long.parseLong(pid), "postgres");
    } catch (IOException | RuntimeException e) {
      log("cannot record the PostgreSQL pid: " + e.getMessage());
    }
  }

  private void createDatabases(String... names) {
    try (Connection c = postgres.getPostgresDatabase().getConnection()) {
      for (String name : names) {
        try (PreparedStatement exists =
            c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
          exists.setString(1, name);
          try (ResultSet rs = exists.executeQuery()) {
            if (rs.next()) {
              continue;
            }
          }
        }
        try (Statement create = c.createStatement()) {
          create.execute("CREATE DATABASE " + name);
        }
      }
    } catch (SQLException e) {
      throw new PlatformException("cannot create databases: " + e.getMessage(), e);
    }
  }

  private ManagedProcess startKafka(Path dir) {
    Path properties = dir.resolve("server.properties");
    Path logback = dir.resolve("logback.xml");
    try {
      Files.createDirectories(dir.resolve("data"));
      Files.writeString(properties, kafkaProperties(dir.resolve("data")));
      Files.writeString(logback, KAFKA_LOGBACK);
      if (!Files.exists(dir.resolve("data/meta.properties"))) {
        runToCompletion(
            "kafka-storage-format",
            javaCommand(
                List.of("-Xmx256m"),
                "kafka.tools.StorageTool",
                List.of(
                    "format",
                    "--standalone",
                    "-t",
                    Uuid.randomUuid().toString(),
                    "-c",
                    properties.toString()),
                logback));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Kafka in " + dir, e);
    }
    return launch(
        "kafka",
        javaCommand(
            List.of("-Xms256m", "-Xmx768m"),
            "kafka.Kafka",
            List.of(properties.toString()),
            logback),
        Map.of());
  }

  private String kafkaProperties(Path logDirs) {
    String controller = "127.0.0.1:" + ports().kafkaController();
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.bootstrap.servers=" + controller,
        "listeners=PLAINTEXT://127.0.0.1:" + ports().kafka() + ",CONTROLLER://" + controller,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + ports().kafka(),
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        "log.dirs=" + logDirs,
        "num.partitions=3",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "");
  }

  private void awaitKafka(ManagedProcess kafka) {
    Map<String, Object> admin =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + ports().kafka(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    try (AdminClient client = AdminClient.create(admin)) {
      await(
          kafka,
          () -> {
            try {
              return client.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty() ? -1 : 200;
            } catch (Exception e) {
              return -1;
            }
          },
          120);
    }
  }

  private ManagedProcess startRegistry(Path data) {
    Path home = unpackRegistry(data);
    String jdbc = "jdbc:postgresql://127.0.0.1:" + ports().postgres() + "/registry";
    List<String> command =
        List.of(
            java(),
            "-Xmx384m",
            "-XX:TieredStopAtLevel=1",
            "-Dquarkus.http.host=127.0.0.1",
            "-Dquarkus.http.port=" + ports().registry(),
            "-Dquarkus.management.enabled=false",
            "-Dquarkus.management.host=127.0.0.1",
            "-Dapicurio.storage.kind=sql",
            "-Dapicurio.storage.sql.kind=postgresql",
            "-Dapicurio.datasource.url=" + jdbc,
            "-Dapicurio.datasource.username=postgres",
            "-Dapicurio.datasource.password=postgres",
            "-jar",
            runnerJar(home).toString());
    return launch("apicurio-registry", command, Map.of(), home);
  }

  private Path unpackRegistry(Path data) {
    String name = layout.apicurioDist().getFileName().toString().replace(".tar.gz", "");
    Path home = data.resolve(name);
    if (Files.exists(home.resolve(".unpacked"))) {
      return home;
    }
    try {
      Files.createDirectories(home);
      runToCompletion(
          "unpack-registry",
          List.of("tar", "-xzf", layout.apicurioDist().toString(), "-C", home.toString()));
      Files.createFile(home.resolve(".unpacked"));
      return home;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the registry into " + home, e);
    }
  }

  private static Path runnerJar(Path home) {
    try (var files = Files.list(home)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> new PlatformException("no *-runner.jar in " + home));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void setCompatibilityRule() {
    try {
      var response =
          Http.put(registryBase() + "/apis/ccompat/v7/config", "{\"compatibility\":\"BACKWARD\"}");
      if (response.statusCode() / 100 != 2) {
        throw new PlatformException(
            "registry refused the BACKWARD rule: " + response.statusCode() + " " + response.body());
      }
    } catch (IOException e) {
      throw new PlatformException("registry unreachable: " + e.getMessage(), e);
    }
  }

  private ManagedProcess startGreenMail() {
    return launch(
        "greenmail",
        List.of(
            java(),
            "-Xmx192m",
            "-XX:TieredStopAtLevel=1",
            "-Dgreenmail.smtp.hostname=127.0.0.1",
            "-Dgreenmail.smtp.port=" + ports().smtp(),
            "-Dgreenmail.api.hostname=127.0.0.1",
            "-Dgreenmail.api.port=" + ports().mailApi(),
            "-Dgreenmail.auth.disabled",
            "-jar",
            layout.tool("greenmail-standalone").toString()),
        Map.of());
  }

  private ManagedProcess startSimulators() {
    // The launcher's own classes carry the simulators' receipt counter (a WireMock extension).
    String classpath =
        layout.tool("wiremock-standalone")
            + java.io.File.pathSeparator
            + layout.repositoryRoot().resolve("deploy/target/classes");
    return launch(
        "simulators",
        List.of(
            java(),
            // The optimising compiler: under benchmark load the simulators must not be the limit.
            "-Xmx384m",
            "-cp",
            classpath,
            "wiremock.Run",
            "--bind-address",
            "127.0.0.1",
            "--port",
            Integer.toString(ports().simulators()),
            "--root-dir",
            layout.simulatorsDir().toString(),
            "--disable-banner",
            "--async-response-enabled",
            "true",
            "--container-threads",
            "64",
            "--disable-gzip",
            // The receipts extension keeps what the platform needs; a bounded journal costs more
            // CPU per request than Herald spends on a delivery, an unbounded one all the memory.
            "--no-request-journal",
            "--extensions",
            "io.herald.deploy.simulators.ProviderReceipts,"
                + "io.herald.deploy.simulators.XSimulator,"
                + "io.herald.deploy.simulators.LinkedInSimulator,"
                + "io.herald.deploy.simulators.FacebookSimulator"),
        Map.of());
  }

  /** Where Prometheus answers, if {@link #hasPrometheus()}. */
  public String prometheusUrl() {
    return "http://127.0.0.1:" + ports().prometheus();
  }

  /** Whether this platform started Prometheus (it does when one is installed). */
  public boolean hasPrometheus() {
    return prometheusStarted;
  }

  private static Path prometheusBinary() {
    String named = System.getenv("HERALD_PROMETHEUS");
    if (named != null && !named.isBlank()) {
      Path path = Path.of(named);
      if (!Files.isExecutable(path)) {
        throw new PlatformException("HERALD_PROMETHEUS names " + named + ", not an executable");
      }
      return path;
    }
    for (String directory : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path path = Path.of(directory.isEmpty() ? "." : directory, "prometheus");
      if (Files.isExecutable(path)) {
        return path;
      }
    }
    return null;
  }

  /**
   * The alert rules Prometheus evaluates: a copy of {@code deploy/prometheus/rules} made at each
   * start. Prometheus reads them again on {@code POST /-/reload}.
   */
  public Path prometheusRules() {
    return config.dataDir().resolve("prometheus").resolve("rules");
  }

  /**
   * Prometheus with the configuration of {@code deploy/prometheus}, its targets moved to this
   * platform's ports, its rules copied from the repository, and its data under the data directory.
   */
  private ManagedProcess startPrometheus(Path binary, Path dir) {
    Path rules = prometheusRules();
    StringBuilder targets = new StringBuilder();
    for (String service : SERVICES) {
      targets
          .append("      - targets: ['127.0.0.1:")
          .append(port(service))
          .append("']\n        labels: {application: ")
          .append(service)
          .append("}\n");
    }
    String configuration =
        """
        # Written by the platform at each start from deploy/prometheus/prometheus.yml.
        global:
          scrape_interval: 5s
          evaluation_interval: 5s
        rule_files:
          - %s/*.yml
        scrape_configs:
          - job_name: herald
            metrics_path: /actuator/prometheus
            honor_labels: true
            static_configs:
        %s"""
            .formatted(rules.toAbsolutePath(), targets.toString().replaceAll("(?m)^", "  "));
    try {
      Files.createDirectories(dir.resolve("data"));
      Files.createDirectories(rules);
      try (var old = Files.list(rules)) {
        for (Path file : old.toList()) {
          Files.delete(file);
        }
      }
      try (var files = Files.list(layout.repositoryRoot().resolve("deploy/prometheus/rules"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
          Files.copy(file, rules.resolve(file.getFileName()));
        }
      }
      Files.writeString(dir.resolve("prometheus.yml"), configuration, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return launch(
        "prometheus",
        List.of(
            binary.toString(),
            "--config.file=" + dir.resolve("prometheus.yml"),
            "--storage.tsdb.path=" + dir.resolve("data"),
            "--storage.tsdb.retention.time=7d",
            // Reloads on POST /-/reload; it listens on the loopback interface only.
            "--web.enable-lifecycle",
            "--web.listen-address=127.0.0.1:" + ports().prometheus()),
        Map.of());
  }

  private ManagedProcess startService(String service) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PORT", Integer.toString(port(service)));
    env.put("KAFKA_BOOTSTRAP", "127.0.0.1:" + ports().kafka());
    env.put("REGISTRY_URL", registryBase() + "/apis/registry/v3");
    env.put("HERALD_JWT_SECRET", jwtSecret);
    // Logs as JSON lines (Elastic Common Schema) with the trace and span ids, for log tools;
    // HERALD_LOG_FORMAT=text gives Boot's plain lines instead.
    if (!"text".equalsIgnoreCase(System.getenv("HERALD_LOG_FORMAT"))) {
      env.put("LOGGING_STRUCTURED_FORMAT_CONSOLE", "ecs");
    }
    if (config.logLevel() != null) {
      env.put("LOGGING_LEVEL_IO_HERALD", config.logLevel());
    }
    if (config.traces() != null) {
      // Every trace, exported in batches over OTLP/HTTP; without an endpoint nothing is exported.
      env.put("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT", config.traces());
      env.put("MANAGEMENT_TRACING_SAMPLING_PROBABILITY", "1.0");
    }
    switch (service) {
      case "gateway-service" -> {
        env.putAll(database("gateway"));
        env.put("NOTIFICATION_SERVICE_URL", "http://127.0.0.1:" + ports().notification());
        env.put("PUBLISHING_SERVICE_URL", "http://127.0.0.1:" + port("publishing-service"));
        env.put("WHATSAPP_APP_SECRET", credentials.get("whatsapp.app-secret"));
        env.put("WHATSAPP_VERIFY_TOKEN", credentials.get("whatsapp.verify-token"));
      }
      case "notification-service" -> {
        env.putAll(database("notification"));
      }
      case "publishing-service" -> {
        env.putAll(database("publishing"));
        env.put("PUBLISHING_TOKEN_KEY", credentials.get(ProviderCredentials.TOKEN_KEY));
        env.put("X_API_URL", simulatorsBase());
        env.put("X_AUTHORIZE_URL", simulatorsBase() + "/i/oauth2/authorize");
        env.put("X_CLIENT_ID", "herald-local");
        env.put("LINKEDIN_API_URL", simulatorsBase());
        env.put("LINKEDIN_OAUTH_URL", simulatorsBase() + "/oauth/v2");
        env.put("LINKEDIN_AUTHORIZE_URL", simulatorsBase() + "/oauth/v2/authorization");
        env.put("LINKEDIN_CLIENT_ID", "herald-local");
        env.put("LINKEDIN_CLIENT_SECRET", credentials.get(ProviderCredentials.LINKEDIN_SECRET));
        env.put("FACEBOOK_GRAPH_URL", simulatorsBase() + "/v23.0");
        env.put("FACEBOOK_AUTHORIZE_URL", simulatorsBase() + "/v23.0/dialog/oauth");
        env.put("FACEBOOK_APP_ID", "herald-local");
        env.put("FACEBOOK_APP_SECRET", credentials.get(ProviderCredentials.FACEBOOK_SECRET));
        env.put("OAUTH_REDIRECT_URI", "http://127.0.0.1:" + ports().gateway() + "/oauth/callback");
      }
      case "email-worker" -> {
        env.putAll(database("email_worker"));
        env.put("SMTP_HOST", "127.0.0.1");
        env.put("SMTP_PORT", Integer.toString(ports().smtp()));
        env.put("SENDGRID_BASE_URL", simulatorsBase());
        env.put("SENDGRID_API_KEY", credentials.get("sendgrid.api-key"));
      }
      case "whatsapp-worker" -> {
        env.putAll(database("whatsapp_worker"));
        env.put("WHATSAPP_BASE_URL", simulatorsBase());
        env.put("WHATSAPP_PHONE_NUMBER_ID", ProviderCredentials.WHATSAPP_PHONE_NUMBER_ID);
        env.put("WHATSAPP_ACCESS_TOKEN", credentials.get("whatsapp.access-token"));
      }
      case "push-worker" -> {
        env.putAll(database("push_worker"));
        env.put("FCM_SERVICE_ACCOUNT", credentials.serviceAccountFile().toString());
        env.put("FCM_BASE_URL", simulatorsBase());
        env.put("VAPID_PUBLIC_KEY", credentials.get("vapid.public-key"));
        env.put("VAPID_PRIVATE_KEY", credentials.get("vapid.private-key"));
      }
      default -> {
        // no service-specific settings
      }
    }
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(config.jvmOptionsOf(service));
    command.add("-jar");
    command.add(stagedJar(service).toString());
    return launch(service, command, env);
  }

  /** The {@code DATABASE_*} settings of a service whose database lives on the platform's server. */
  private Map<String, String> database(String name) {
    return Map.of(
        "DATABASE_HOST", "127.0.0.1",
        "DATABASE_PORT", Integer.toString(ports().postgres()),
        "DATABASE_NAME", name,
        "DATABASE_USER", "postgres",
        "DATABASE_PASSWORD", "postgres");
  }

  int port(String service) {
    return switch (service) {
      case "gateway-service" -> ports().gateway();
      case "notification-service" -> ports().notification();
      case "publishing-service" -> ports().publishing();
      case "email-worker" -> ports().emailWorker();
      case "whatsapp-worker" -> ports().whatsappWorker();
      case "push-worker" -> ports().pushWorker();
      default -> throw new IllegalArgumentException(service);
    };
  }

  String registryBase() {
    return "http://127.0.0.1:" + ports().registry();
  }

  String mailApiBase() {
    return "http://127.0.0.1:" + ports().mailApi();
  }

  /** The FCM registration token of alice's demo device. */
  static final String DEMO_FCM_TOKEN = "demo-fcm-token-alice";

  /** The endpoint of alice's demo browser subscription, at the Web Push simulator. */
  String demoWebPushEndpoint() {
    return simulatorsBase() + "/wpush/v2/demo-alice";
  }

  ProviderCredentials credentials() {
    return credentials;
  }

  String simulatorsBase() {
    return "http://127.0.0.1:" + ports().simulators();
  }

  private List<String> javaCommand(
      List<String> jvmOptions, String mainClass, List<String> args, Path logback) {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(jvmOptions);
    command.add("-Dlogback.configurationFile=" + logback);
    command.add("-cp");
    command.add(layout.launcherClasspath());
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  private ManagedProcess launch(String name, List<String> command, Map<String, String> env) {
    return launch(name, command, env, config.dataDir());
  }

  private ManagedProcess launch(
      String name, List<String> command, Map<String, String> env, Path workDir) {
    ManagedProcess process = ManagedProcess.start(name, command, env, workDir, logFile(name));
    synchronized (processes) {
      // close() sets closed before it takes its list: a process is either on it or stopped here.
      if (closed) {
        process.stop(Duration.ofSeconds(5));
        throw new PlatformException("stopped while starting " + name);
      }
      processes.add(process);
    }
    remember(process);
    return process;
  }

  private void runToCompletion(String name, List<String> command) {
    ManagedProcess process =
        ManagedProcess.start(name, command, Map.of(), config.dataDir(), logFile(name));
    Instant deadline = Instant.now().plusSeconds(120);
    while (process.isAlive() && Instant.now().isBefore(deadline)) {
      pause(100);
    }
    if (process.isAlive()) {
      process.stop(Duration.ofSeconds(1));
      throw new PlatformException(name + " did not finish; see " + process.log());
    }
  }

  private Path logFile(String name) {
    return config.dataDir().resolve("logs").resolve(name + ".log");
  }

  private void await(ManagedProcess process, IntSupplier status, int seconds) {
    Instant deadline = Instant.now().plusSeconds(seconds);
    while (Instant.now().isBefore(deadline)) {
      if (closed) {
        throw new PlatformException("stopped while waiting for " + process.name());
      }
      if (!process.isAlive()) {
        throw new PlatformException(
            process.name() + " exited during start-up; see " + process.log());
      }
      if (status.getAsInt() == 200) {
        log(process.name() + " is ready");
        return;
      }
      pause(250);
    }
    throw new PlatformException(
        process.name() + " not ready after " + seconds + " s; see " + process.log());
  }

  /** True once {@link #close()} was called (or a failed start closed it). */
  public boolean isClosed() {
    return closed;
  }

  /** Stops services first, then the infrastructure they use; safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<ManagedProcess> running;
    EmbeddedPostgres database;
    synchronized (processes) {
      running = new ArrayList<>(processes);
      database = postgres;
    }
    Collections.reverse(running);
    List<ManagedProcess> services =
        running.stream().filter(p -> SERVICES.contains(p.name())).toList();
    CompletableFuture.allOf(
            services.stream()
                .map(p -> CompletableFuture.runAsync(() -> p.stop(Duration.ofSeconds(20))))
                .toArray(CompletableFuture[]::new))
        .join();
    running.stream()
        .filter(p -> !SERVICES.contains(p.name()))
        .forEach(p -> p.stop(Duration.ofSeconds(30)));
    if (database != null) {
      try {
        database.close();
      } catch (IOException e) {
        log("PostgreSQL did not stop cleanly: " + e.getMessage());
      }
    }
    try {
      if (lock != null) {
        Files.deleteIfExists(config.dataDir().resolve(PROCESS_LIST));
        Files.deleteIfExists(config.dataDir().resolve("platform.pid"));
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      log("cannot release the platform lock: " + e.getMessage());
    }
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String readQuietly(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file).trim() : "";
    } catch (IOException e) {
      return "";
    }
  }

  static void log(String message) {
    System.out.println("[herald] " + message);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PlatformException("interrupted", e);
    }
  }

  private static final String KAFKA_LOGBACK =
      """
      <configuration>
        <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
        </appender>
        <logger name="org.apache.kafka" level="INFO"/>
        <logger name="kafka" level="INFO"/>
        <logger name="state.change.logger" level="WARN"/>
        <root level="INFO"><appender-ref ref="OUT"/></root>
      </configuration>
      """;
}
