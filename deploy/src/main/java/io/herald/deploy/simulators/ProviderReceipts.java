package io.herald.deploy.simulators;

import com.github.tomakehurst.wiremock.admin.Router;
import com.github.tomakehurst.wiremock.extension.AdminApiExtension;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ServeEventListener;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts, inside the simulators, every message a provider accepted (a 2xx answer), by Herald
 * delivery id where the request carries one: WhatsApp's {@code biz_opaque_callback_data}, FCM's
 * {@code data.herald_delivery_id}, SendGrid's {@code custom_args.herald_delivery_id}; posts on X,
 * LinkedIn and Facebook by their text (a post published twice is the same text twice). Web Push
 * payloads are encrypted, so only their total is known. This is the provider side's own evidence of
 * what was delivered and what was delivered twice, independent of Herald's counters.
 *
 * <pre>
 * GET    /__admin/herald/receipts            {"whatsapp": {"accepted": 10, "distinct": 10, "duplicates": 0}, ...}
 * DELETE /__admin/herald/receipts            starts counting afresh
 * GET    /__admin/herald/whatsapp-messages   the last 10,000 accepted WhatsApp messages (id, to,
 *                                            callback data), for status webhooks to report on
 * GET    /__admin/herald/traces/{traceId}    the providers that accepted a request carrying this
 *                                            trace id in its traceparent header (last 10,000 traces)
 * </pre>
 *
 * WireMock's own request journal is off on the local platform: bounded, it costs more CPU per
 * request than a delivery costs Herald.
 */
public final class ProviderReceipts implements ServeEventListener, AdminApiExtension {

  private static final Pattern WHATSAPP_PATH = Pattern.compile("/v[0-9]+\\.[0-9]+/[0-9]+/messages");
  private static final Pattern FCM_PATH = Pattern.compile("/v1/projects/[^/]+/messages:send");
  private static final Pattern CALLBACK =
      Pattern.compile(
          "\"biz_opaque_callback_data\"\\s*:\\s*\"h1\\|[^|\"]*\\|[^|\"]*\\|([^|\"]*)\\|");
  private static final Pattern POST_TEXT =
      Pattern.compile("\"text\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern COMMENTARY =
      Pattern.compile("\"commentary\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern FACEBOOK_FEED = Pattern.compile("/v[0-9.]+/[0-9]+/feed");
  private static final Pattern MESSAGE = Pattern.compile("(?:^|&)message=([^&]*)");
  private static final Pattern DELIVERY_ID =
      Pattern.compile("\"herald_delivery_id\"\\s*:\\s*\"([^\"]+)\"");

  /** Receipts of one provider. */
  private static final class Receipts {
    final AtomicLong accepted = new AtomicLong();
    final Map<String, AtomicInteger> byDelivery = new ConcurrentHashMap<>();
  }

  private static final int KEPT_MESSAGES = 10_000;
  private static final Pattern TO = Pattern.compile("\"to\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern CALLBACK_DATA =
      Pattern.compile("\"biz_opaque_callback_data\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern WAMID = Pattern.compile("\"id\"\\s*:\\s*\"(wamid\\.[^\"]+)\"");

  private final Map<String, Receipts> providers = new ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentLinkedDeque<Map<String, String>> whatsAppMessages =
      new java.util.concurrent.ConcurrentLinkedDeque<>();
  private final AtomicInteger keptMessages = new AtomicInteger();
  private static final int KEPT_TRACES = 10_000;
  private final Map<String, java.util.Set<String>> traces =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, java.util.Set<String>> eldest) {
              return size() > KEPT_TRACES;
            }
          });

  @Override
  public String getName() {
    return "herald-provider-receipts";
  }

  @Override
  public boolean applyGlobally() {
    return true;
  }

  @Override
  public void afterComplete(ServeEvent event, Parameters parameters) {
    int status =
        event.getResponse() != null
            ? event.getResponse().getStatus()
            : event.getResponseDefinition() == null ? 0 : event.getResponseDefinition().getStatus();
    if (status < 200
        || status >= 300
        || !RequestMethod.POST.equals(event.getRequest().getMethod())) {
      return;
    }
    String path = event.getRequest().getUrl();
    int query = path.indexOf('?');
    path = query < 0 ? path : path.substring(0, query);
    String provider;
    Pattern id;
    if (WHATSAPP_PATH.matcher(path).matches()) {
      provider = "whatsapp";
      id = CALLBACK;
    } else if (FCM_PATH.matcher(path).matches()) {
      provider = "fcm";
      id = DELIVERY_ID;
    } else if (path.equals("/v3/mail/send")) {
      provider = "sendgrid";
      id = DELIVERY_ID;
    } else if (path.startsWith("/wpush/v2/")) {
      provider = "webpush";
      id = null;
    } else if (path.equals("/2/tweets")) {
      // A post is known by its text: two posts with the same text are the same post twice.
      provider = "x";
      id = POST_TEXT;
    } else if (path.equals("/rest/posts")) {
      provider = "linkedin";
      id = COMMENTARY;
    } else if (FACEBOOK_FEED.matcher(path).matches()) {
      provider = "facebook";
      id = MESSAGE;
    } else {
      return;
    }
    if (provider.equals("whatsapp")) {
      keep(event);
    }
    String traceParent = event.getRequest().getHeader("traceparent");
    if (traceParent != null && traceParent.length() >= 35) {
      String traceId = traceParent.substring(3, 35);
      traces
          .computeIfAbsent(traceId, t -> java.util.concurrent.ConcurrentHashMap.newKeySet())
          .add(provider);
    }
    Receipts receipts = providers.computeIfAbsent(provider, p -> new Receipts());
    receipts.accepted.incrementAndGet();
    if (id != null) {
      Matcher m = id.matcher(event.getRequest().getBodyAsString());
      if (m.find()) {
        // Only Facebook's body is a form; the others are JSON, where a "%" is just a character.
        String deliveryId =
            provider.equals("facebook")
                ? URLDecoder.decode(m.group(1), StandardCharsets.UTF_8)
                : m.group(1);
        receipts.byDelivery.computeIfAbsent(deliveryId, d -> new AtomicInteger()).incrementAndGet();
      }
    }
  }

  private void keep(ServeEvent event) {
    Matcher id = WAMID.matcher(event.getResponse().getBodyAsString());
    if (!id.find()) {
      return;
    }
    String body = event.getRequest().getBodyAsString();
    Map<String, String> message = new LinkedHashMap<>();
    message.put("id", id.group(1));
    Matcher to = TO.matcher(body);
    message.put("to", to.find() ? to.group(1) : "");
    Matcher callback = CALLBACK_DATA.matcher(body);
    if (callback.find()) {
      message.put("callbackData", callback.group(1));
    }
    whatsAppMessages.addLast(message);
    if (keptMessages.incrementAndGet() > KEPT_MESSAGES && whatsAppMessages.pollFirst() != null) {
      keptMessages.decrementAndGet();
    }
  }

  @Override
  public void contributeAdminApiRoutes(Router router) {
    router.add(
        RequestMethod.GET,
        "/herald/whatsapp-messages",
        (admin, event, pathParams) ->
            ResponseDefinition.okForJson(java.util.List.copyOf(whatsAppMessages)));
    router.add(
        RequestMethod.GET,
        "/herald/traces/{traceId}",
        (admin, event, pathParams) ->
            ResponseDefinition.okForJson(
                new java.util.TreeSet<>(
                    traces.getOrDefault(pathParams.get("traceId"), java.util.Set.of()))));
    router.add(
        RequestMethod.GET,
        "/herald/receipts",
        (admin, event, pathParams) -> ResponseDefinition.okForJson(snapshot()));
    router.add(
        RequestMethod.DELETE,
        "/herald/receipts",
        (admin, event, pathParams) -> {
          providers.clear();
          return ResponseDefinition.okForJson(snapshot());
        });
  }

  private Map<String, Map<String, Long>> snapshot() {
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    providers.forEach(
        (name, r) -> {
          Map<String, Long> counts = new LinkedHashMap<>();
          counts.put("accepted", r.accepted.get());
          counts.put("distinct", (long) r.byDelivery.size());
          counts.put(
              "duplicates",
              r.byDelivery.values().stream().mapToLong(c -> Math.max(0, c.get() - 1)).sum());
          out.put(name, counts);
        });
    return out;
  }
}
