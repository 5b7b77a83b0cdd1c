package io.herald.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests of {@code deploy/k8s}, read offline as typed objects of the Kubernetes
 * API (fabric8's model): every field must be one the API defines, every service has what running it
 * safely needs, no secret has a value, and the kustomizations and their patches fit the base.
 */
class KubernetesManifestsTest {

  private static final Path K8S = Path.of("k8s");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The kinds Herald's manifests use, by {@code apiVersion/kind}. */
  private static final Map<String, Class<? extends KubernetesResource>> KINDS =
      Map.of(
          "v1/ConfigMap", ConfigMap.class,
          "v1/Service", Service.class,
          "apps/v1/Deployment", Deployment.class,
          "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
          "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class);

  private static final Pattern SECRET_NAME = Pattern.compile(".*(SECRET|PASSWORD|TOKEN|PRIVATE).*");

  @Test
  void shouldUseOnlyFieldsTheKubernetesApiDefines() throws Exception {
    List<Path> manifests = new ArrayList<>(manifests(K8S.resolve("base")));
    manifests.add(K8S.resolve("examples/apicurio-registry.yaml"));
    manifests.add(K8S.resolve("overlays/local/config.yaml"));
    for (Path file : manifests) {
      for (KubernetesResource resource : read(file)) {
        assertThat(unknownFields(resource)).as(file + ": fields the API does not define").isEmpty();
      }
    }
  }

  @Test
  void shouldFindAMisspeltField() throws Exception {
    Path file = K8S.resolve("base/gateway-service.yaml");
    String broken = Files.readString(file).replaceFirst("readinessProbe:", "readynessProbe:");

    List<String> unknown = new ArrayList<>();
    for (Object document : new Yaml().loadAll(broken)) {
      unknown.addAll(unknownFields(typed(document)));
    }

    assertThat(unknown).anyMatch(field -> field.contains("readynessProbe"));
  }

  @Test
  void shouldRunEveryServiceWithProbesResourcesADisruptionBudgetAndAnAutoscaler() throws Exception {
    List<KubernetesResource> base = new ArrayList<>();
    for (Path file : manifests(K8S.resolve("base"))) {
      base.addAll(read(file));
    }
    for (String service : Platform.SERVICES) {
      Deployment deployment = find(base, Deployment.class, service);
      Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(container.getLivenessProbe().getHttpGet().getPath())
          .isEqualTo("/actuator/health/liveness");
      assertThat(container.getReadinessProbe().getHttpGet().getPath())
          .isEqualTo("/actuator/health/readiness");
      assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
      assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
      for (EnvVar env : container.getEnv()) {
        if (SECRET_NAME.matcher(env.getName()).matches()) {
          assertThat(env.getValue()).as(service + " " + env.getName() + " has a value").isNull();
          assertThat(env.getValueFrom().getSecretKeyRef())
              .as(service + " " + env.getName() + " from a Secret")
              .isNotNull();
        }
      }
      assertThat(find(base, Service.class, service).getSpec().getSelector())
          .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
      assertThat(find(base, PodDisruptionBudget.class, service).getSpec().getSelector())
          .isEqualTo(deployment.getSpec().getSelector());
      HorizontalPodAutoscaler autoscaler = find(base, HorizontalPodAutoscaler.class, service);
      assertThat(autoscaler.getSpec().getScaleTargetRef().getName()).isEqualTo(service);
      String metric = autoscaler.getSpec().getMetrics().get(0).getType();
      // Workers scale on the lag of their topics, the others on CPU.
      assertThat(metric)
          .as(service)
          .isEqualTo(service.endsWith("-worker") ? "External" : "Resource");
    }
    ConfigMap config =
        (ConfigMap) base.stream().filter(ConfigMap.class::isInstance).findFirst().orElseThrow();
    assertThat(config.getData().keySet()).noneMatch(key -> SECRET_NAME.matcher(key).matches());
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldKustomizeOnlyFilesThatExistWithPatchesThatFitTheBase() throws Exception {
    for (Path kustomization :
        List.of(
            K8S.resolve("base/kustomization.yaml"),
            K8S.resolve("overlays/local/kustomization.yaml"))) {
      Map<String, Object> spec = new Yaml().load(Files.readString(kustomization));
      for (String resource : (List<String>) spec.get("resources")) {
        assertThat(kustomization.getParent().resolve(resource))
            .as(kustomization + " " + resource)
            .exists();
      }
      for (Map<String, Object> patch :
          (List<Map<String, Object>>) spec.getOrDefault("patches", List.of())) {
        Path file = kustomization.getParent().resolve((String) patch.get("path"));
        assertThat(file).exists();
        Object content = new Yaml().load(Files.readString(file));
        if (!(content instanceof List<?> operations)) {
          continue; // a strategic merge patch: checked as a manifest above
        }
        String kind = (String) ((Map<String, Object>) patch.get("target")).get("kind");
        for (Path manifest : manifests(K8S.resolve("base"))) {
          for (Object document : new Yaml().loadAll(Files.readString(manifest))) {
            Map<String, Object> object = (Map<String, Object>) document;
            if (!kind.equals(object.get("kind"))) {
              continue;
            }
            for (Object operation : operations) {
              String path = (String) ((Map<String, Object>) operation).get("path");
              assertThat(exists(object, path)).as(file + " " + path + " in " + manifest).isTrue();
            }
          }
        }
      }
    }
  }

  private static boolean exists(Object node, String pointer) {
    Object current = node;
    for (String part : pointer.substring(1).split("/")) {
      if (current instanceof Map<?, ?> map && map.containsKey(part)) {
        current = map.get(part);
      } else if (current instanceof List<?> list
          && part.matches("\\d+")
          && Integer.parseInt(part) < list.size()) {
        current = list.get(Integer.parseInt(part));
      } else {
        return false;
      }
    }
    return true;
  }

  private static <T extends HasMetadata> T find(
      List<KubernetesResource> resources, Class<T> type, String name) {
    return resources.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(r -> r.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  private static List<Path> manifests(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .filter(f -> f.toString().endsWith(".yaml"))
          .filter(f -> !f.getFileName().toString().equals("kustomization.yaml"))
          .sorted()
          .toList();
    }
  }

  private static List<KubernetesResource> read(Path file) throws IOException {
    List<KubernetesResource> resources = new ArrayList<>();
    for (Object document : new Yaml().loadAll(Files.readString(file))) {
      if (document != null) {
        resources.add(typed(document));
      }
    }
    return resources;
  }

  private static KubernetesResource typed(Object document) {
    Map<?, ?> object = (Map<?, ?>) document;
    String kind = object.get("apiVersion") + "/" + object.get("kind");
    Class<? extends KubernetesResource> type = KINDS.get(kind);
    assertThat(type).as("a kind of the Kubernetes API: " + kind).isNotNull();
    return MAPPER.convertValue(document, type);
  }

  /** Every field the model did not recognise, anywhere in the object, by its path. */
  static List<String> unknownFields(Object resource) {
    List<String> found = new ArrayList<>();
    walk(resource, "", found);
    return found;
  }

  private static void walk(Object node, String path, List<String> found) {
    if (node == null) {
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        walk(item, path + "[" + i++ + "]", found);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((key, value) -> walk(value, path + "." + key, found));
      return;
    }
    if (!node.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          found.add(path + " " + extra.keySet());
        }
      } else {
        walk(value, path + "." + getter.getName().substring(3), found);
      }
    }
  }
}
