package io.herald.whatsapp.delivery;

import io.herald.worker.ProviderHttp;
import io.herald.worker.WorkerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class WhatsAppConfiguration {

  @Bean
  CloudApiProvider cloudApiProvider(
      WhatsAppProperties properties, WorkerProperties worker, JsonMapper json) {
    return new CloudApiProvider(
        ProviderHttp.client(
            CloudApiProvider.NAME,
            properties.baseUrl(),
            worker.provider(CloudApiProvider.NAME).maxConcurrency()),
        properties,
        json);
  }
}
