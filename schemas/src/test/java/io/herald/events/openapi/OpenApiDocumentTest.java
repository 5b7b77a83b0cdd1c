package io.herald.events.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is valid OpenAPI 3.1, and every operation names the service that answers it
 * and answers its errors as problem documents. (Each service's tests compare it with their
 * handlers: {@code OpenApiDrift}.)
 */
class OpenApiDocumentTest {

  private static final Set<String> SERVICES =
      Set.of("gateway-service", "notification-service", "publishing-service");

  private static SwaggerParseResult parse() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    return new OpenAPIV3Parser()
        .readLocation(
            Path.of("src/main/resources/openapi/herald-api.yaml").toUri().toString(),
            null,
            options);
  }

  @Test
  void shouldBeAValidOpenApi31Document() {
    SwaggerParseResult result = parse();

    assertThat(result.getMessages()).isEmpty();
    assertThat(result.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
    assertThat(result.getOpenAPI().getPaths()).hasSizeGreaterThan(40);
  }

  @Test
  void shouldResolveEveryReference() throws Exception {
    OpenAPI api = parse().getOpenAPI();
    String text =
        java.nio.file.Files.readString(Path.of("src/main/resources/openapi/herald-api.yaml"));
    var refs =
        java.util.regex.Pattern.compile(
                "#/components/(schemas|responses|parameters|headers)/([\\w-]+)")
            .matcher(text);
    int count = 0;
    while (refs.find()) {
      count++;
      Map<String, ?> components =
          switch (refs.group(1)) {
            case "schemas" -> api.getComponents().getSchemas();
            case "responses" -> api.getComponents().getResponses();
            case "parameters" -> api.getComponents().getParameters();
            default -> api.getComponents().getHeaders();
          };
      assertThat(components).as(refs.group()).containsKey(refs.group(2));
    }
    assertThat(count).isGreaterThan(100);
  }

  @Test
  void shouldNameTheServiceOfEveryOperationAndDescribeItsProblems() {
    OpenAPI api = parse().getOpenAPI();
    for (Map.Entry<String, PathItem> path : api.getPaths().entrySet()) {
      for (Map.Entry<PathItem.HttpMethod, Operation> entry :
          path.getValue().readOperationsMap().entrySet()) {
        Operation operation = entry.getValue();
        String name = entry.getKey() + " " + path.getKey();
        assertThat(operation.getOperationId()).as(name).isNotBlank();
        assertThat(operation.getExtensions()).as(name).containsKey("x-herald-service");
        assertThat(SERVICES)
            .as(name)
            .contains((String) operation.getExtensions().get("x-herald-service"));
        if (path.getKey().startsWith("/api/")) {
          assertThat(operation.getResponses()).as(name).containsKeys("401", "429");
        }
      }
    }
  }
}
