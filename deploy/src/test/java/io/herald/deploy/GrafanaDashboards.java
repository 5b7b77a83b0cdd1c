package io.herald.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The provisioned dashboards of {@code deploy/grafana/dashboards} and their panels' queries. */
final class GrafanaDashboards {

  static final Path DIRECTORY = Path.of("grafana", "dashboards");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** One query of one panel. */
  record Query(String dashboard, String panel, String expr) {

    /** The query as Grafana sends it with every service selected and a one-minute rate interval. */
    String asPrometheusQuery() {
      return expr.replace("$__rate_interval", "1m").replace("$service", ".*");
    }

    @Override
    public String toString() {
      return dashboard + " / " + panel + ": " + expr;
    }
  }

  private GrafanaDashboards() {}

  static List<Path> files() throws IOException {
    try (Stream<Path> files = Files.list(DIRECTORY)) {
      return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
  }

  static JsonNode read(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  static List<Query> queries() throws IOException {
    List<Query> queries = new ArrayList<>();
    for (Path file : files()) {
      JsonNode dashboard = read(file);
      for (JsonNode panel : dashboard.path("panels")) {
        for (JsonNode target : panel.path("targets")) {
          queries.add(
              new Query(
                  dashboard.path("title").asString(),
                  panel.path("title").asString(),
                  target.path("expr").asString()));
        }
      }
    }
    return queries;
  }
}
