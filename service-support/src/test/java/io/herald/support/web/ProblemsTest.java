package io.herald.support.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProblemsTest {

  @Test
  void shouldEscapeJsonSpecialCharacters() {
    assertThat(Problems.quote("say \"hi\"\\\n\u0001"))
        .isEqualTo("\"say \\\"hi\\\"\\\\\\n\\u0001\"");
  }

  @Test
  void shouldBuildStableTypeUris() {
    assertThat(Problems.type("unauthorized")).isEqualTo("https://herald.dev/problems/unauthorized");
  }
}
