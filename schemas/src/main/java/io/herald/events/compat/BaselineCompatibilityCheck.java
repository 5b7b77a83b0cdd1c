package io.herald.events.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Checks that every contract in a schema folder can read data written with its released baseline
 * (BACKWARD compatibility, the registry's rule), and names each field at fault.
 *
 * <p>Both folders hold {@code common/*.avsc} (shared named types) and {@code events/*.avsc}. The
 * build runs it as {@code BaselineCompatibilityCheck src/main/avro baseline}; a release updates the
 * baseline on purpose by copying the current contracts over it.
 */
public final class BaselineCompatibilityCheck {

  private BaselineCompatibilityCheck() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      throw new IllegalArgumentException(
          "usage: BaselineCompatibilityCheck <current-schema-dir> <baseline-schema-dir>");
    }
    List<String> problems = check(Path.of(args[0]), Path.of(args[1]));
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "Avro contracts are not backward compatible with the baseline in "
              + args[1]
              + ":\n  - "
              + String.join("\n  - ", problems));
    }
    System.out.println("[herald] Avro contracts are backward compatible with " + args[1]);
  }

  /** Returns one line per incompatibility; empty when every baseline schema can still be read. */
  public static List<String> check(Path currentDir, Path baselineDir) {
    Map<String, Schema> current = parseFolder(currentDir);
    Map<String, Schema> baseline = parseFolder(baselineDir);
    List<String> problems = new ArrayList<>();
    baseline.forEach(
        (name, released) -> {
          Schema now = current.get(name);
          if (now == null) {
            problems.add(name + ": removed, but its baseline was released");
            return;
          }
          SchemaPairCompatibility result =
              SchemaCompatibility.checkReaderWriterCompatibility(now, released);
          for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            problems.add(describe(name, incompatibility));
          }
        });
    return problems;
  }

  private static String describe(String schemaName, Incompatibility incompatibility) {
    String field =
        switch (incompatibility.getType()) {
          case READER_FIELD_MISSING_DEFAULT_VALUE ->
              "field '"
                  + incompatibility.getMessage()
                  + "' was added without a default value, so records written with the baseline"
                  + " cannot be read";
          default -> incompatibility.getType() + ": " + incompatibility.getMessage();
        };
    return schemaName + " at " + incompatibility.getLocation() + ": " + field;
  }

  /** Parses shared types first so that events can refer to them by name. */
  static Map<String, Schema> parseFolder(Path folder) {
    Schema.Parser parser = new Schema.Parser();
    Map<String, Schema> schemas = new LinkedHashMap<>();
    for (String sub : List.of("common", "events")) {
      for (Path file : avscFiles(folder.resolve(sub))) {
        try {
          Schema schema = parser.parse(file.toFile());
          schemas.put(schema.getFullName(), schema);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + file, e);
        }
      }
    }
    return schemas;
  }

  private static List<Path> avscFiles(Path folder) {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }
}
