package io.herald.support.events;

/**
 * The start of a text for messages about it: at most 80 characters, cut at a word where one is
 * near, with an ellipsis when cut; line breaks become spaces.
 *
 * <p>Example: {@code Excerpt.of(post.text())}.
 */
public final class Excerpt {

  public static final int MAX = 80;

  private Excerpt() {}

  public static String of(String text) {
    if (text == null) {
      return null;
    }
    String flat = text.strip().replaceAll("\\s+", " ");
    if (flat.length() <= MAX) {
      return flat;
    }
    int cut = flat.lastIndexOf(' ', MAX - 1);
    if (cut < MAX / 2) {
      cut = MAX - 1;
    }
    return flat.substring(0, cut).stripTrailing() + "…";
  }
}
