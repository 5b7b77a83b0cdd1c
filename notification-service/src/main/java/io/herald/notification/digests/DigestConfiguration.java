package io.herald.notification.digests;

import io.herald.notification.activity.ActivityStore;
import io.herald.notification.fanout.FanOutProperties;
import io.herald.notification.subscribers.AudienceRepository;
import io.herald.notification.templates.TemplateEngine;
import io.herald.notification.templates.TemplateReader;
import io.herald.support.kafka.TransactionalKafka;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ProducerFactory;

/**
 * Wiring of digests: the runner and its own transactional producer (ids {@code
 * <instance-id>-digests-}, so a restarted instance fences its predecessor's open transaction).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(DigestProperties.class)
class DigestConfiguration {

  /** The service's clock: digest times and the fan-out's decisions are taken by it. */
  @Bean
  @ConditionalOnMissingBean
  Clock clock() {
    return Clock.systemUTC();
  }

  @Bean(destroyMethod = "destroy")
  TransactionalKafka digestKafka(
      ProducerFactory<Object, Object> base, FanOutProperties fanOut, DigestProperties properties) {
    return new TransactionalKafka(
        base, fanOut.instanceId() + "-digests-", properties.sendTimeout().multipliedBy(2));
  }

  @Bean
  DigestRunner digestRunner(
      @Qualifier("fanOutDataSource") DataSource dataSource,
      DigestStore store,
      AudienceRepository audience,
      TemplateReader templates,
      TemplateEngine engine,
      ActivityStore activity,
      @Qualifier("digestKafka") TransactionalKafka kafka,
      DigestProperties properties,
      Clock clock,
      MeterRegistry meters) {
    return new DigestRunner(
        dataSource, store, audience, templates, engine, activity, kafka, properties, clock, meters);
  }
}
