package io.herald.whatsapp.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Channel;
import io.herald.events.v1.WhatsAppDeliveryRequested;
import io.herald.worker.DeliveryChannel;
import io.herald.worker.ProviderHttp;
import io.herald.worker.WorkerProperties;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class WhatsAppConfiguration {

  /** {@code notification.whatsapp.v1}, sent through the Cloud API. */
  @Bean
  DeliveryChannel<WhatsAppDeliveryRequested> whatsAppChannel() {
    return DeliveryChannel.of(
            Channel.WHATSAPP,
            TopicCatalog.NOTIFICATION_WHATSAPP,
            WhatsAppDeliveryRequested.class,
            "phoneNumber")
        .choosingProviders(
            (delivery, ref, configured) ->
                configured.isEmpty() ? List.of(CloudApiProvider.NAME) : configured);
  }

  @Bean
  CloudApiProvider cloudApiProvider(
      WhatsAppProperties properties,
      WorkerProperties worker,
      JsonMapper json,
      WebClient.Builder webClients) {
    return new CloudApiProvider(
        ProviderHttp.client(
            webClients,
            CloudApiProvider.NAME,
            properties.baseUrl(),
            worker.provider(CloudApiProvider.NAME).maxConcurrency()),
        properties,
        json);
  }
}
