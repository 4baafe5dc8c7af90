// The queue page on the demo data: what is waiting by reason, the reviewer's own day, and the
// start button into the review page, used with the keyboard.
import { expect, test } from "./fixtures";
import { reviewer, signIn, watchErrors } from "./helpers";

test("the queue page shows what waits and my day, and starts a review", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer, "/queue");
  await expect(page.getByRole("heading", { name: "Queue", level: 1 })).toBeVisible();
  const byReason = page.getByRole("table", { name: "Waiting by reason" });
  await expect(byReason).toContainText("Low confidence: the model was unsure");
  const total = Number(await page.locator(".waiting-total strong").innerText());
  expect(total).toBeGreaterThan(0);
  const rows = await byReason.locator("tbody tr td:last-child").allInnerTexts();
  expect(rows.map(Number).reduce((a, b) => a + b, 0)).toBe(total);
  const today = page.locator(".my-day dd").first();
  const before = Number(await today.innerText());

  await page.getByRole("link", { name: "Start reviewing" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL("**/review");
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const first = await card.getAttribute("data-task-id");
  // The desk shows the next task before the server answers (zero wait); leaving the page before
  // the answer would race the review being stored, so wait for it as a reviewer's next key would.
  const stored = page.waitForResponse((r) => r.url().includes("/api/review/submit") && r.ok());
  await page.keyboard.press("3");
  await page.keyboard.press("Enter");
  await expect(card).not.toHaveAttribute("data-task-id", first!);
  await stored;

  await page.goto("/queue");
  await expect(page.locator(".my-day dd").first()).toHaveText(String(before + 1));
  await expect(page.locator(".my-day dd").nth(1)).toHaveText(/^\d+ s$/);
  check();
});
