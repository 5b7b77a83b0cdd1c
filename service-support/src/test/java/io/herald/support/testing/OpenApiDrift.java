package io.herald.support.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.springframework.http.server.PathContainer;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;
import org.yaml.snakeyaml.Yaml;

/**
 * Compares Herald's OpenAPI document ({@code openapi/herald-api.yaml}, from the schemas module)
 * with the handlers of a running service: every operation the document gives the service has a
 * handler with the same method, path and query parameters, and every handler has its operation.
 * Each service runs it in a test, so the build fails when code and document disagree.
 *
 * <p>Example: {@code assertThat(OpenApiDrift.differences(mapping, "notification-service", h ->
 * true)).isEmpty()}.
 */
public final class OpenApiDrift {

  private OpenApiDrift() {}

  /** The document's operations: {@code "GET /api/x/{}"} to their query parameters, by service. */
  @SuppressWarnings("unchecked")
  public static Map<String, Set<String>> documented(String service) {
    Map<String, Object> document;
    try (InputStream in =
        OpenApiDrift.class.getClassLoader().getResourceAsStream("openapi/herald-api.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi/herald-api.yaml is not on the class path");
      }
      document = new Yaml().load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Set<String>> operations = new TreeMap<>();
    Map<String, Map<String, Object>> paths =
        (Map<String, Map<String, Object>>) document.get("paths");
    paths.forEach(
        (path, methods) ->
            methods.forEach(
                (method, value) -> {
                  Map<String, Object> operation = (Map<String, Object>) value;
                  if (!service.equals(operation.get("x-herald-service"))
                      || "resource".equals(operation.get("x-herald-served-by"))) {
                    return;
                  }
                  Set<String> query = new TreeSet<>();
                  for (Object parameter :
                      (List<Object>) operation.getOrDefault("parameters", List.of())) {
                    Map<String, Object> p = (Map<String, Object>) parameter;
                    // A parameter a web filter reads (a stream ticket) has no handler argument.
                    if ("query".equals(p.get("in"))
                        && !"filter".equals(p.get("x-herald-read-by"))) {
                      query.add((String) p.get("name"));
                    }
                  }
                  operations.put(key(method, path), query);
                }));
    return operations;
  }

  /** The service's handlers that {@code owned} selects, in the same form. */
  public static Map<String, Set<String>> implemented(
      RequestMappingHandlerMapping mapping, Predicate<HandlerMethod> owned) {
    Map<String, Set<String>> operations = new TreeMap<>();
    for (Map.Entry<RequestMappingInfo, HandlerMethod> entry :
        mapping.getHandlerMethods().entrySet()) {
      HandlerMethod handler = entry.getValue();
      if (!owned.test(handler)) {
        continue;
      }
      Set<String> query = new TreeSet<>();
      for (var parameter : handler.getMethodParameters()) {
        RequestParam param = parameter.getParameterAnnotation(RequestParam.class);
        if (param != null) {
          String name = !param.name().isEmpty() ? param.name() : param.value();
          query.add(name.isEmpty() ? parameter.getParameterName() : name);
        }
      }
      Set<RequestMethod> methods = entry.getKey().getMethodsCondition().getMethods();
      for (PathPattern pattern : entry.getKey().getPatternsCondition().getPatterns()) {
        if (methods.isEmpty()) {
          operations.put(key("ANY", pattern.getPatternString()), query);
        }
        for (RequestMethod method : methods) {
          operations.put(key(method.name(), pattern.getPatternString()), query);
        }
      }
    }
    return operations;
  }

  /** The handlers of Herald's own code, but for those in {@code excludedPackages}. */
  public static Predicate<HandlerMethod> heraldHandlers(String... excludedPackages) {
    Set<String> excluded = Set.of(excludedPackages);
    return handler -> {
      String name = handler.getBeanType().getPackageName();
      return name.startsWith("io.herald") && !excluded.contains(name);
    };
  }

  /** What the document and the handlers disagree on; empty when they agree. */
  public static List<String> differences(
      RequestMappingHandlerMapping mapping, String service, Predicate<HandlerMethod> owned) {
    Map<String, Set<String>> documented = documented(service);
    Map<String, Set<String>> implemented = implemented(mapping, owned);
    List<String> differences = new ArrayList<>();
    implemented.forEach(
        (operation, query) -> {
          if (!documented.containsKey(operation)) {
            differences.add(operation + " is handled but not in the OpenAPI document");
          } else if (!documented.get(operation).equals(query)) {
            differences.add(
                operation
                    + " takes query parameters "
                    + query
                    + ", the document says "
                    + documented.get(operation));
          }
        });
    documented.keySet().stream()
        .filter(operation -> !implemented.containsKey(operation))
        .forEach(operation -> differences.add(operation + " is documented but not handled"));
    return differences;
  }

  /**
   * The operations of {@code services} that no handler {@code routes} selects would take, e.g.
   * operations of notification-service that the gateway does not route to it.
   */
  public static List<String> unrouted(
      RequestMappingHandlerMapping mapping,
      Predicate<HandlerMethod> routes,
      List<String> services) {
    List<String> unrouted = new ArrayList<>();
    for (String service : services) {
      for (String operation : documented(service).keySet()) {
        String method = operation.substring(0, operation.indexOf(' '));
        PathContainer path =
            PathContainer.parsePath(
                operation.substring(operation.indexOf(' ') + 1).replace("{}", "x1"));
        boolean routed =
            mapping.getHandlerMethods().entrySet().stream()
                .filter(entry -> routes.test(entry.getValue()))
                .anyMatch(
                    entry ->
                        (entry.getKey().getMethodsCondition().getMethods().isEmpty()
                                || entry.getKey().getMethodsCondition().getMethods().stream()
                                    .anyMatch(m -> m.name().equals(method)))
                            && entry.getKey().getPatternsCondition().getPatterns().stream()
                                .anyMatch(pattern -> pattern.matches(path)));
        if (!routed) {
          unrouted.add(service + ": " + operation);
        }
      }
    }
    return unrouted;
  }

  private static String key(String method, String path) {
    return method.toUpperCase(java.util.Locale.ROOT) + " " + path.replaceAll("\\{[^}]+}", "{}");
  }
}
