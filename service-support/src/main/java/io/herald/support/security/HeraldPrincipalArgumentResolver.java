package io.herald.support.security;

import org.springframework.core.MethodParameter;
import org.springframework.web.reactive.BindingContext;
import org.springframework.web.reactive.result.method.HandlerMethodArgumentResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** Lets controllers take the verified caller as a {@link HeraldPrincipal} parameter. */
class HeraldPrincipalArgumentResolver implements HandlerMethodArgumentResolver {

  @Override
  public boolean supportsParameter(MethodParameter parameter) {
    return HeraldPrincipal.class.equals(parameter.getParameterType());
  }

  @Override
  public Mono<Object> resolveArgument(
      MethodParameter parameter, BindingContext bindingContext, ServerWebExchange exchange) {
    HeraldPrincipal principal = exchange.getAttribute(HeraldPrincipal.ATTRIBUTE);
    return principal == null
        ? Mono.error(new InvalidTokenException("request was not authenticated"))
        : Mono.just(principal);
  }
}
