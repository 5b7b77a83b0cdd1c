package io.herald.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where the launcher finds what it starts: service jars, the launcher's own classpath (which also
 * runs the Kafka broker), provider sinks and the registry distribution. Written by the build into
 * {@code herald-platform.properties}.
 */
record PlatformLayout(
    Path repositoryRoot,
    String launcherClasspath,
    Path toolsDir,
    Path apicurioDist,
    Path simulatorsDir) {

  static PlatformLayout fromBuild() {
    Properties p = new Properties();
    try (InputStream in = PlatformLayout.class.getResourceAsStream("/herald-platform.properties")) {
      if (in == null) {
        throw new IllegalStateException(
            "herald-platform.properties missing: build the deploy module");
      }
      p.load(in);
      Path classpathFile = Path.of(p.getProperty("launcher.classpath.file"));
      String classpath =
          p.getProperty("launcher.classes") + ":" + Files.readString(classpathFile).trim();
      return new PlatformLayout(
          Path.of(p.getProperty("repository.root")),
          classpath,
          Path.of(p.getProperty("tools.dir")),
          Path.of(p.getProperty("apicurio.dist")),
          Path.of(p.getProperty("simulators.dir")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the platform layout", e);
    }
  }

  Path serviceJar(String module) {
    return repositoryRoot.resolve(module).resolve("target").resolve(module + ".jar");
  }

  Path tool(String name) {
    return toolsDir.resolve(name + ".jar");
  }
}
