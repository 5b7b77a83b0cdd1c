package io.herald.publishing.platforms;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * X's posts as X keeps them, for stubs that name this transformer ({@value #NAME}): {@code POST
 * /2/tweets} makes the post when the request arrives (before any delay the stub adds, so a caller
 * that gives up or dies waiting leaves a post behind, as on X) and answers 201 {@code {"data": {id,
 * text}}}; {@code GET /2/users/:id/tweets} lists the posts made with the same bearer token, newest
 * first, from {@code start_time}, {@code max_results} per page with {@code meta.next_token}, and
 * with links shortened to t.co and {@code &} escaped as X answers.
 */
public final class SimulatedXTimeline implements ResponseDefinitionTransformerV2 {

  public static final String NAME = "x-timeline";

  private record Posted(String id, String text, Instant at) {}

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final AtomicLong ids = new AtomicLong(1_800_000_000_000_000_000L);
  private final Map<String, List<Posted>> byToken = new ConcurrentHashMap<>();

  @Override
  public String getName() {
    return NAME;
  }

  @Override
  public boolean applyGlobally() {
    return false;
  }

  /** The ids of the posts made with {@code token} whose text contains {@code fragment}. */
  public List<String> idsOf(String token, String fragment) {
    return byToken.getOrDefault(token, List.of()).stream()
        .filter(p -> p.text().contains(fragment))
        .map(Posted::id)
        .toList();
  }

  @Override
  public ResponseDefinition transform(ServeEvent event) {
    Request request = event.getRequest();
    String token = request.getHeader("Authorization").replaceFirst("^Bearer ", "");
    if (request.getMethod().getName().equals("POST")) {
      String text = JSON.readTree(request.getBodyAsString()).path("text").asString();
      Posted post = new Posted(Long.toString(ids.incrementAndGet()), text, Instant.now());
      byToken.computeIfAbsent(token, t -> new CopyOnWriteArrayList<>()).add(post);
      ObjectNode body = JSON.createObjectNode();
      body.putObject("data").put("id", post.id()).put("text", post.text());
      return ResponseDefinitionBuilder.like(event.getResponseDefinition())
          .withStatus(201)
          .withHeader("Content-Type", "application/json")
          .withBody(body.toString())
          .build();
    }
    Map<String, String> query = query(request.getUrl());
    Instant since = Instant.parse(query.getOrDefault("start_time", "2010-11-06T00:00:00Z"));
    int pageSize = Integer.parseInt(query.getOrDefault("max_results", "10"));
    int from = Integer.parseInt(query.getOrDefault("pagination_token", "0"));
    List<Posted> posts = new ArrayList<>(byToken.getOrDefault(token, List.of()));
    posts.removeIf(p -> p.at().isBefore(since));
    java.util.Collections.reverse(posts);
    ObjectNode body = JSON.createObjectNode();
    List<Posted> page =
        posts.subList(Math.min(from, posts.size()), Math.min(from + pageSize, posts.size()));
    if (!page.isEmpty()) {
      ArrayNode data = body.putArray("data");
      for (Posted p : page) {
        data.addObject()
            .put("id", p.id())
            .put("text", asX(p.text()))
            .put("created_at", p.at().toString())
            .putArray("edit_history_tweet_ids")
            .add(p.id());
      }
    }
    ObjectNode meta = body.putObject("meta").put("result_count", page.size());
    if (!page.isEmpty()) {
      meta.put("newest_id", page.get(0).id()).put("oldest_id", page.get(page.size() - 1).id());
    }
    if (from + pageSize < posts.size()) {
      meta.put("next_token", Integer.toString(from + pageSize));
    }
    return ResponseDefinitionBuilder.like(event.getResponseDefinition())
        .withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody(body.toString())
        .build();
  }

  /** X answers with links shortened and {@code &}, {@code <}, {@code >} escaped. */
  private static String asX(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replaceAll("https?://\\S+", "https://t.co/AbCdEf1234");
  }

  private static Map<String, String> query(String url) {
    Map<String, String> query = new HashMap<>();
    if (url.contains("?")) {
      for (String pair : url.split("\\?", 2)[1].split("&")) {
        String[] kv = pair.split("=", 2);
        query.put(
            URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
            kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
      }
    }
    return query;
  }
}
