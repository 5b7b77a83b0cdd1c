package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The dashboards as Grafana provisions them: each with a unique uid, the data-source and service
 * variables, and every panel on the chosen data source with a query. That every query returns data
 * from a running platform is {@code PlatformEndToEndIT}'s to show.
 */
class GrafanaDashboardsTest {

  @Test
  void shouldProvideEveryDashboardOperatorsLookFor() throws Exception {
    List<String> uids = GrafanaDashboards.files().stream().map(this::uid).toList();

    assertThat(uids)
        .doesNotHaveDuplicates()
        .contains(
            "herald-overview",
            "herald-notifications",
            "herald-channels",
            "herald-publishing",
            "herald-kafka",
            "herald-jvm");
  }

  @Test
  void shouldTemplateTheDataSourceAndTheServices() throws Exception {
    for (Path file : GrafanaDashboards.files()) {
      JsonNode dashboard = GrafanaDashboards.read(file);
      JsonNode variables = dashboard.path("templating").path("list");
      assertThat(variables)
          .as(file + " variables")
          .extracting(v -> v.path("name").asString())
          .contains("datasource", "service");
      Set<Integer> ids = new HashSet<>();
      assertThat(dashboard.path("panels")).as(file + " panels").isNotEmpty();
      for (JsonNode panel : dashboard.path("panels")) {
        String name = file.getFileName() + " / " + panel.path("title").asString();
        assertThat(ids.add(panel.path("id").asInt())).as(name + " id is unique").isTrue();
        assertThat(panel.path("datasource").path("uid").asString())
            .as(name + " data source")
            .isEqualTo("${datasource}");
        assertThat(panel.path("gridPos").path("w").asInt()).as(name + " width").isPositive();
        assertThat(panel.path("targets")).as(name + " queries").isNotEmpty();
        for (JsonNode target : panel.path("targets")) {
          assertThat(target.path("expr").asString()).as(name + " query").isNotBlank();
        }
      }
    }
  }

  private String uid(Path file) {
    try {
      return GrafanaDashboards.read(file).path("uid").asString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
