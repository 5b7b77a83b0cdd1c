package io.herald.gateway.routing;

import io.herald.gateway.GatewayProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

/** The services the gateway calls itself, beyond forwarding. */
@Configuration
class RoutingConfiguration {

  /** publishing-service: reads are forwarded, and post commands check the post's state there. */
  @Bean
  Upstream publishingService(WebClient.Builder webClients, GatewayProperties properties) {
    return new Upstream("publishing-service", webClients, properties.publishingServiceUrl());
  }
}
