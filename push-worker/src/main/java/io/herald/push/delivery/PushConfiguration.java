package io.herald.push.delivery;

import io.herald.events.catalog.TopicCatalog;
import io.herald.events.v1.Channel;
import io.herald.events.v1.PushDeliveryRequested;
import io.herald.support.tracing.RecordTracing;
import io.herald.worker.DeliveryChannel;
import io.herald.worker.ProviderHttp;
import io.herald.worker.WorkerProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The push channel and its providers: FCM when a service account is configured, Web Push when VAPID
 * keys are.
 */
@Configuration(proxyBeanMethods = false)
class PushConfiguration {

  static final String FCM = "FCM";
  static final String WEB_PUSH = "WEB_PUSH";

  /**
   * {@code notification.push.v1}: an {@code FCM} device goes to FCM, a {@code WEB_PUSH}
   * subscription to its push service. A record of another platform, or a Web Push one without its
   * keys, is dead-lettered as invalid.
   */
  @Bean
  DeliveryChannel<PushDeliveryRequested> pushChannel() {
    return DeliveryChannel.of(
            Channel.PUSH,
            TopicCatalog.NOTIFICATION_PUSH,
            PushDeliveryRequested.class,
            "deviceToken")
        .checking(PushConfiguration::check)
        .choosingProviders(
            (delivery, ref, configured) ->
                List.of(
                    FCM.equals(delivery.getPlatform()) ? FcmProvider.NAME : WebPushProvider.NAME));
  }

  private static void check(PushDeliveryRequested delivery) {
    String platform = delivery.getPlatform();
    if (!FCM.equals(platform) && !WEB_PUSH.equals(platform)) {
      throw new IllegalArgumentException("platform '" + platform + "' is neither FCM nor WEB_PUSH");
    }
    if (WEB_PUSH.equals(platform) && delivery.getWebPush() == null) {
      throw new IllegalArgumentException("a WEB_PUSH delivery needs the subscription's keys");
    }
  }

  private static final String FCM_CONFIGURED =
      "'${herald.push.fcm.service-account:}' != '' or '${herald.push.fcm.service-account-json:}' != ''";

  @Bean
  @ConditionalOnExpression(FCM_CONFIGURED)
  ServiceAccount fcmServiceAccount(PushProperties properties, JsonMapper json) throws IOException {
    PushProperties.Fcm fcm = properties.fcm();
    String key =
        fcm.serviceAccountJson() != null && !fcm.serviceAccountJson().isBlank()
            ? fcm.serviceAccountJson()
            : Files.readString(fcm.serviceAccount());
    return ServiceAccount.parse(key, json);
  }

  @Bean
  @ConditionalOnExpression(FCM_CONFIGURED)
  GoogleAccessTokens googleAccessTokens(
      ServiceAccount fcmServiceAccount,
      PushProperties properties,
      JsonMapper json,
      WebClient.Builder webClients) {
    return new GoogleAccessTokens(
        fcmServiceAccount,
        properties.fcm().tokenUrl(),
        ProviderHttp.client(webClients, "google-oauth", fcmServiceAccount.tokenUri(), 4),
        json,
        Clock.systemUTC());
  }

  @Bean
  @ConditionalOnExpression(FCM_CONFIGURED)
  FcmProvider fcmProvider(
      ServiceAccount fcmServiceAccount,
      GoogleAccessTokens googleAccessTokens,
      PushProperties properties,
      WorkerProperties worker,
      JsonMapper json,
      WebClient.Builder webClients,
      RecordTracing tracing) {
    return new FcmProvider(
        ProviderHttp.client(
            webClients,
            FcmProvider.NAME,
            properties.fcm().baseUrl(),
            worker.provider(FcmProvider.NAME).maxConcurrency()),
        googleAccessTokens,
        fcmServiceAccount.projectId(),
        json,
        tracing);
  }

  @Bean
  @ConditionalOnExpression("'${herald.push.web-push.vapid-private-key:}' != ''")
  WebPushProvider webPushProvider(
      PushProperties properties,
      WorkerProperties worker,
      JsonMapper json,
      WebClient.Builder webClients)
      throws GeneralSecurityException {
    return new WebPushProvider(
        ProviderHttp.client(
            webClients,
            WebPushProvider.NAME,
            "http://localhost",
            worker.provider(WebPushProvider.NAME).maxConcurrency()),
        properties.webPush(),
        json,
        Clock.systemUTC());
  }
}
