package io.herald.gateway.inbox;

import java.net.URI;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The reference inbox page at {@code /inbox/}: static HTML and JavaScript (from {@code
 * static/inbox/}) that sign in with a bearer token and use the inbox API and live stream. The page
 * and its files need no token; everything it shows comes through {@code /api/}.
 */
@Configuration(proxyBeanMethods = false)
class InboxPageConfiguration {

  @Bean
  RouterFunction<ServerResponse> inboxPage(
      @Value("classpath:/static/inbox/index.html") Resource page) {
    return RouterFunctions.route(
            RequestPredicates.GET("/inbox"),
            request -> ServerResponse.permanentRedirect(URI.create("/inbox/")).build())
        .andRoute(
            RequestPredicates.GET("/inbox/"),
            request ->
                ServerResponse.ok()
                    .contentType(MediaType.TEXT_HTML)
                    .cacheControl(CacheControl.noCache())
                    .bodyValue(page));
  }
}
