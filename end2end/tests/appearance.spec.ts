// The review page at phone width and in dark mode; takes the README's screenshots of it (see
// screenshotPath: docs/ only through scripts/screenshots.sh).
import { expect, test } from "./fixtures";
import { reviewer, screenshotPath, signIn, watchErrors } from "./helpers";

test("the review page fits 360 px and renders in light and dark mode", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
  await page.screenshot({ path: screenshotPath("review-light.png") });
  const lightBackground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await page.emulateMedia({ colorScheme: "dark" });
  const darkBackground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(darkBackground).not.toBe(lightBackground);
  await page.screenshot({ path: screenshotPath("review-dark.png") });

  // At 360 px nothing scrolls sideways and the form's controls stay reachable.
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 360, height: 800 });
  // (Polled: the layout settles a frame or two after the resize.)
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth))
    .toBeLessThanOrEqual(0);
  await expect(page.getByRole("button", { name: /Submit/ })).toBeVisible();
  await page.keyboard.press("3");
  await expect(page.locator('input[name="rating"][value="3"]')).toBeChecked();
  check();
});
