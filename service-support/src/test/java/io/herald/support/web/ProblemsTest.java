package io.herald.support.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ProblemsTest {

  @Test
  void shouldWriteAProblemDocumentWithItsExtensionMembersAndEscapedDetail() {
    var problem =
        Problems.of(HttpStatus.UNAUTHORIZED, "unauthorized", "say \"hi\"\\\n\u0001", "/api/x y");
    problem.setProperty("missingRole", "sender");
    MockServerHttpResponse response = new MockServerHttpResponse();

    Problems.write(response, problem).block();

    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(response.getHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    String body = response.getBodyAsString().block();
    JsonNode json = JsonMapper.builder().build().readTree(body.getBytes(StandardCharsets.UTF_8));
    assertThat(json.get("type").asString()).isEqualTo("https://herald.dev/problems/unauthorized");
    assertThat(json.get("status").asInt()).isEqualTo(401);
    assertThat(json.get("title").asString()).isEqualTo("Unauthorized");
    assertThat(json.get("detail").asString()).isEqualTo("say \"hi\"\\\n\u0001");
    assertThat(json.get("instance").asString()).isEqualTo("/api/x%20y");
    assertThat(json.get("missingRole").asString()).isEqualTo("sender");
  }

  @Test
  void shouldBuildStableTypeUris() {
    assertThat(Problems.type("unauthorized")).isEqualTo("https://herald.dev/problems/unauthorized");
  }
}
