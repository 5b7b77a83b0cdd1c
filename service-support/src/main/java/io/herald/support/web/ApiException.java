package io.herald.support.web;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * An error answered as an RFC 9457 problem with a stable type ({@code
 * https://herald.dev/problems/<kind>}, listed in docs/problems.md).
 *
 * <p>Example: {@code throw ApiException.notFound("no subscriber bob")}.
 */
public class ApiException extends RuntimeException {

  private final HttpStatus status;
  private final String kind;
  private final List<Map<String, String>> errors;
  private final Map<String, Object> properties;

  public ApiException(
      HttpStatus status, String kind, String detail, List<Map<String, String>> errors) {
    this(status, kind, detail, errors, Map.of());
  }

  /**
   * @param properties extension members of the problem, e.g. {@code currentState}
   */
  public ApiException(
      HttpStatus status,
      String kind,
      String detail,
      List<Map<String, String>> errors,
      Map<String, Object> properties) {
    super(detail);
    this.status = status;
    this.kind = kind;
    this.errors = List.copyOf(errors);
    this.properties = Map.copyOf(properties);
  }

  public ApiException(HttpStatus status, String kind, String detail) {
    this(status, kind, detail, List.of(), Map.of());
  }

  /** 403 {@code forbidden} naming the role the caller lacks as {@code missingRole}. */
  public static ApiException missingRole(String role, String detail) {
    return new ApiException(
        HttpStatus.FORBIDDEN, "forbidden", detail, List.of(), Map.of("missingRole", role));
  }

  /**
   * 403 {@code forbidden} for a caller with none of {@code roles}: {@code missingRole} names the
   * first, {@code acceptedRoles} all of them.
   */
  public static ApiException missingAnyRole(List<String> roles, String detail) {
    return new ApiException(
        HttpStatus.FORBIDDEN,
        "forbidden",
        detail,
        List.of(),
        Map.of("missingRole", roles.get(0), "acceptedRoles", List.copyOf(roles)));
  }

  public static ApiException notFound(String detail) {
    return new ApiException(HttpStatus.NOT_FOUND, "not-found", detail, List.of());
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(HttpStatus.FORBIDDEN, "forbidden", detail, List.of());
  }

  /** 400 {@code validation-failed} with one {@code {field, message}} per broken rule. */
  public static ApiException invalid(List<Map<String, String>> errors) {
    return new ApiException(
        HttpStatus.BAD_REQUEST, "validation-failed", "The request body is not valid.", errors);
  }

  /** 409 {@code kind}, with extension members such as the state that refused the command. */
  public static ApiException conflict(String kind, String detail, Map<String, Object> properties) {
    return new ApiException(HttpStatus.CONFLICT, kind, detail, List.of(), properties);
  }

  public HttpStatus status() {
    return status;
  }

  public String kind() {
    return kind;
  }

  public List<Map<String, String>> errors() {
    return errors;
  }

  public Map<String, Object> properties() {
    return properties;
  }
}
