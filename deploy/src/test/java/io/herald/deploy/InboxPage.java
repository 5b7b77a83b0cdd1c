package io.herald.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The reference inbox page ({@code /inbox/}) in headless Chromium, as a user works it: sign in,
 * read the list and the badge, scroll, mark, archive. Uses Debian's {@code chromium} and {@code
 * chromedriver} ({@code CHROMIUM_BINARY} and {@code CHROMEDRIVER} name others).
 */
final class InboxPage implements AutoCloseable {

  private final ChromeDriver driver;

  private InboxPage(ChromeDriver driver) {
    this.driver = driver;
  }

  static InboxPage open(String url) {
    File chromium = executable("CHROMIUM_BINARY", "/usr/bin/chromium");
    File chromedriver = executable("CHROMEDRIVER", "/usr/bin/chromedriver");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1000,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver)
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.get(url);
    return new InboxPage(driver);
  }

  private static File executable(String variable, String fallback) {
    String path = System.getenv().getOrDefault(variable, fallback);
    File file = new File(path);
    if (!file.canExecute()) {
      throw new IllegalStateException(
          path
              + " is missing: the inbox page test needs Debian's chromium and chromium-driver"
              + " (apt-get install chromium chromium-driver; .ci/run installs them), or "
              + variable
              + " naming another");
    }
    return file;
  }

  void signIn(String token) {
    driver.findElement(By.id("token")).sendKeys(token);
    driver.findElement(By.id("sign-in-button")).click();
  }

  /** {@code live}, {@code reconnecting} or {@code signed-out}. */
  String status() {
    return driver.findElement(By.id("status")).getDomAttribute("data-state");
  }

  int badge() {
    return Integer.parseInt(driver.findElement(By.id("badge")).getText().trim());
  }

  /** The titles of the listed items, top to bottom. */
  List<String> titles() {
    return texts("#items li.item .title");
  }

  /** The titles of the items shown unread. */
  List<String> unreadTitles() {
    return texts("#items li.item.unread .title");
  }

  /**
   * The shown text of every element the selector matches, read in one script: the page re-renders
   * its list as changes arrive, so elements found first and read afterwards may be gone by then.
   */
  @SuppressWarnings("unchecked")
  private List<String> texts(String selector) {
    List<Object> texts =
        (List<Object>)
            ((JavascriptExecutor) driver)
                .executeScript(
                    "return Array.from(document.querySelectorAll(arguments[0]))"
                        + ".map(e => e.innerText.trim());",
                    selector);
    return texts.stream().map(String::valueOf).toList();
  }

  void scrollToEnd() {
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, document.body.scrollHeight)");
  }

  void scrollToTop() {
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
  }

  void toggleRead(String title) {
    clickIn(title, ".toggle-read");
  }

  void archive(String title) {
    clickIn(title, ".archive");
  }

  /**
   * Clicks a button of the item titled {@code title} as a user would: scrolled to the middle, clear
   * of the sticky header. An item re-rendered meanwhile (a change arriving on the stream) is found
   * again.
   */
  private void clickIn(String title, String button) {
    for (int attempt = 1; ; attempt++) {
      try {
        WebElement found = item(title).findElement(By.cssSelector(button));
        ((JavascriptExecutor) driver)
            .executeScript("arguments[0].scrollIntoView({block: 'center'})", found);
        found.click();
        return;
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  void readAll() {
    driver.findElement(By.id("read-all")).click();
  }

  /** When the document was loaded: unchanged as long as the page was never reloaded. */
  double loadedAt() {
    return ((Number) ((JavascriptExecutor) driver).executeScript("return performance.timeOrigin"))
        .doubleValue();
  }

  Path screenshot(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    File shot = driver.getScreenshotAs(OutputType.FILE);
    return Files.copy(shot.toPath(), file, StandardCopyOption.REPLACE_EXISTING);
  }

  private WebElement item(String title) {
    return driver.findElements(By.cssSelector("#items li.item")).stream()
        .filter(li -> li.findElement(By.cssSelector(".title")).getText().equals(title))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no item titled " + title + " on the page"));
  }

  @Override
  public void close() {
    driver.quit();
  }
}
