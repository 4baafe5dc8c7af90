// Every control on the main pages has an accessible name, and keyboard focus is visible.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { admin, reviewer, signIn } from "./helpers";

/** Controls on the page without an accessible name (label, aria-label/-labelledby, or text). */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("input, select, textarea, button"))
      .filter((el) => (el as HTMLInputElement).type !== "hidden")
      .filter((el) => {
        const c = el as HTMLInputElement;
        const named =
          (c.labels && c.labels.length > 0) ||
          c.getAttribute("aria-label") ||
          c.getAttribute("aria-labelledby") ||
          (el.tagName === "BUTTON" && (el.textContent ?? "").trim().length > 0);
        return !named;
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

test("reviewer pages name every control and show keyboard focus", async ({ page }) => {
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  for (const path of ["/review", "/queue", "/history", "/account"]) {
    await page.goto(path);
    expect(await unnamedControls(page), path).toEqual([]);
  }
  // Tabbing onto a control draws the focus ring.
  await page.goto("/queue");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    return getComputedStyle(el).outlineWidth;
  });
  expect(parseFloat(outline)).toBeGreaterThanOrEqual(2);
});

test("admin pages name every control", async ({ page }) => {
  await signIn(page, admin, "/admin");
  for (const path of ["/admin", "/admin/webhooks", "/admin/escalations", "/admin/audit", "/admin/tasks"]) {
    await page.goto(path);
    await expect(page.locator("main h1").first()).toBeVisible();
    expect(await unnamedControls(page), path).toEqual([]);
  }
});
