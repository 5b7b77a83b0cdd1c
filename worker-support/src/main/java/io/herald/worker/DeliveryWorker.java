package io.herald.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.BatchAcknowledgingMessageListener;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.transaction.KafkaAwareTransactionManager;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * The listener containers of a channel worker: one on the channel topic and one on each retry
 * topic, all in the worker's consumer group, all batch listeners inside Kafka transactions.
 */
public final class DeliveryWorker implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);

  private final List<ConcurrentMessageListenerContainer<String, Object>> containers =
      new ArrayList<>();
  private final DeliveryLedger ledger;
  private final WorkerProperties properties;
  private ScheduledExecutorService housekeeping;
  private volatile boolean running;

  DeliveryWorker(
      DeliveryProcessor<?> processor,
      ConsumerFactory<String, Object> consumers,
      KafkaAwareTransactionManager<String, Object> transactions,
      String groupId,
      DeliveryLedger ledger,
      WorkerProperties properties) {
    this.ledger = ledger;
    this.properties = properties;
    containers.add(
        container(
            processor,
            consumers,
            transactions,
            groupId,
            processor.topic(),
            properties.concurrency()));
    for (String retryTopic : processor.retryTopics()) {
      // Retries are the exception: one consumer thread per retry topic is plenty.
      containers.add(container(processor, consumers, transactions, groupId, retryTopic, 1));
    }
  }

  private ConcurrentMessageListenerContainer<String, Object> container(
      DeliveryProcessor<?> processor,
      ConsumerFactory<String, Object> consumers,
      KafkaAwareTransactionManager<String, Object> transactions,
      String groupId,
      String topic,
      int concurrency) {
    ContainerProperties container = new ContainerProperties(topic);
    container.setGroupId(groupId);
    container.setKafkaAwareTransactionManager(transactions);
    container.setAckMode(ContainerProperties.AckMode.MANUAL);
    container.setMessageListener(
        (BatchAcknowledgingMessageListener<String, Object>) processor::process);
    Properties consumer = container.getKafkaConsumerProperties();
    consumer.setProperty(
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(properties.maxBatch()));
    // Static membership: a restarted instance takes its partitions back at once.
    consumer.setProperty(
        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, properties.instanceId() + "-" + topic);
    ConcurrentMessageListenerContainer<String, Object> listener =
        new ConcurrentMessageListenerContainer<>(consumers, container);
    listener.setConcurrency(concurrency);
    listener.setBeanName(topic);
    // What fails a batch is the database or the broker (bad records never do): retry the batch,
    // never skip it.
    ExponentialBackOff backOff = new ExponentialBackOff(500, 2.0);
    backOff.setMaxInterval(10_000);
    listener.setAfterRollbackProcessor(new DefaultAfterRollbackProcessor<>(backOff));
    return listener;
  }

  /** The containers, for tests that wait for partition assignment. */
  public List<ConcurrentMessageListenerContainer<String, Object>> containers() {
    return List.copyOf(containers);
  }

  @Override
  public void start() {
    containers.forEach(ConcurrentMessageListenerContainer::start);
    housekeeping =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ledger-housekeeping");
              t.setDaemon(true);
              return t;
            });
    housekeeping.scheduleWithFixedDelay(this::forgetOldSends, 1, 60, TimeUnit.MINUTES);
    running = true;
  }

  private void forgetOldSends() {
    try {
      Duration retention = properties.ledgerRetention();
      int forgotten = ledger.forgetOlderThan(retention);
      if (forgotten > 0) {
        log.info("Forgot {} sends older than {}", forgotten, retention);
      }
    } catch (RuntimeException e) {
      log.warn("Could not forget old sends: {}", e.getMessage());
    }
  }

  @Override
  public void stop() {
    running = false;
    if (housekeeping != null) {
      housekeeping.shutdownNow();
    }
    containers.forEach(ConcurrentMessageListenerContainer::stop);
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
