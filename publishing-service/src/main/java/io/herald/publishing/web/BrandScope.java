package io.herald.publishing.web;

import io.herald.support.security.HeraldPrincipal;
import java.util.List;

/** The brands a caller's reads are limited to. */
public final class BrandScope {

  private BrandScope() {}

  /** The caller's brands, or null when the token grants all of the tenant's. */
  public static List<String> of(HeraldPrincipal caller) {
    return caller.brands().contains(HeraldPrincipal.ALL_BRANDS) ? null : caller.brands();
  }
}
