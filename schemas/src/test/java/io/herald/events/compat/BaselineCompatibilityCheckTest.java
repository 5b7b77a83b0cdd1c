package io.herald.events.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselineCompatibilityCheckTest {

  private static final String V1 =
      """
      {"type": "record", "name": "Thing", "namespace": "io.herald.events.v1",
       "fields": [{"name": "id", "type": "string"}]}
      """;

  @TempDir Path baseline;
  @TempDir Path current;

  @Test
  void shouldAcceptTheShippedContractsAgainstTheirBaseline() {
    assertThat(BaselineCompatibilityCheck.check(Path.of("src/main/avro"), Path.of("baseline")))
        .isEmpty();
  }

  @Test
  void shouldNameTheFieldAddedWithoutDefault() throws IOException {
    write(baseline, V1);
    write(
        current,
        """
        {"type": "record", "name": "Thing", "namespace": "io.herald.events.v1",
         "fields": [{"name": "id", "type": "string"}, {"name": "priority", "type": "int"}]}
        """);

    assertThat(BaselineCompatibilityCheck.check(current, baseline))
        .singleElement()
        .asString()
        .contains("io.herald.events.v1.Thing")
        .contains("field 'priority' was added without a default value");
  }

  @Test
  void shouldAcceptFieldAddedWithDefault() throws IOException {
    write(baseline, V1);
    write(
        current,
        """
        {"type": "record", "name": "Thing", "namespace": "io.herald.events.v1",
         "fields": [{"name": "id", "type": "string"},
                    {"name": "priority", "type": "int", "default": 0}]}
        """);

    assertThat(BaselineCompatibilityCheck.check(current, baseline)).isEmpty();
  }

  @Test
  void shouldReportRemovedSchemaAndFailMain() throws IOException {
    write(baseline, V1);
    Files.createDirectories(current.resolve("events"));

    assertThat(BaselineCompatibilityCheck.check(current, baseline))
        .containsExactly("io.herald.events.v1.Thing: removed, but its baseline was released");
    assertThatThrownBy(
            () ->
                BaselineCompatibilityCheck.main(
                    new String[] {current.toString(), baseline.toString()}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not backward compatible");
  }

  private static void write(Path root, String schema) throws IOException {
    Files.createDirectories(root.resolve("events"));
    Files.writeString(root.resolve("events/Thing.avsc"), schema);
  }
}
