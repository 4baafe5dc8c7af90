// Source-support hints in real Chromium: a summary sentence looked at (hover, or focus with the
// h key) lights up the source sentences behind it; a weak sentence and invented facts are marked,
// and every mark is explained under the summary with the source sentence it departs from.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { reach, reviewer, signIn, watchErrors } from "./helpers";

const filler = Array.from({ length: 80 }, (_, i) => `Background paragraph ${i + 1} repeats routine context.`).join(" ");
const document =
  `Acme Corp reported results on Tuesday. ${filler} Revenue at the Rotterdam plant fell 12 percent in the third quarter. ` +
  "The weather in the region was mild. Management blamed a strike at the port for the drop.";
const summary = "Rotterdam revenue fell 12 percent, blamed on a port strike. Acme hired Jane Porter as chief executive in 2025.";

/** Sends the task flagged with the lowest confidence, so it is the next one any reviewer gets. */
async function sendTask(page: Page, text = { document, summary }): Promise<string> {
  const res = await page.request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { ...text, confidence: 0.0, flagged: true, model: "summarizer", model_version: "e2e", external_id: `hints-${Date.now()}` },
  });
  expect(res.status()).toBeLessThan(300);
  return (await res.json()).id;
}

/** Accepts the task on screen (a rating must already be chosen) and waits until it is gone. */
async function submitAccepted(page: Page, id: string) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("a");
  await expect(page.locator('input[name="verdict"][value="accept"]')).toBeChecked();
  await page.keyboard.press("Enter");
  await expect(page.locator(".task-grid")).not.toHaveAttribute("data-task-id", id);
}

test("looking at a summary sentence highlights and reveals its support; weak sentences and invented facts are marked", async ({ page }) => {
  const check = watchErrors(page);
  const id = await sendTask(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  await reach(page, id);

  const sentences = page.locator(".summary .sum-sent");
  await expect(sentences).toHaveCount(2);
  await expect(sentences.nth(0)).not.toHaveClass(/weak/);
  await expect(sentences.nth(1)).toHaveClass(/weak/);
  await expect(sentences.nth(1)).toHaveAccessibleDescription("Marked: the source may not support it");
  await expect(sentences.nth(1).locator("mark.unsupported")).toHaveText(["Jane Porter", "2025"]);
  await expect(page.locator(".support-legend")).toContainText("1 of 2 sentences marked");
  await expect(page.locator(".src-sent.supports")).toHaveCount(0);

  // Keyboard: h focuses the first sentence; its two supporting source sentences light up and
  // the best of them, far down the scrolled source, is brought into view.
  const revenue = page.locator(".src-sent", { hasText: "Revenue at the Rotterdam plant" });
  await expect(revenue).not.toBeInViewport();
  await page.keyboard.press("h");
  await expect(sentences.nth(0)).toBeFocused();
  const lit = page.locator(".src-sent.supports");
  await expect(lit).toHaveCount(2);
  await expect(lit.nth(0)).toHaveText("Revenue at the Rotterdam plant fell 12 percent in the third quarter.");
  await expect(lit.nth(1)).toHaveText("Management blamed a strike at the port for the drop.");
  await expect(lit.nth(0)).toBeInViewport();

  // The next h moves on to the weak sentence, whose support is thin.
  await page.keyboard.press("h");
  await expect(sentences.nth(1)).toBeFocused();
  await expect(page.locator(".src-sent.supports")).not.toHaveText([
    "Revenue at the Rotterdam plant fell 12 percent in the third quarter.",
    "Management blamed a strike at the port for the drop.",
  ]);

  // Hover does the same as focus; leaving clears it.
  await page.keyboard.press("Escape");
  await sentences.nth(0).hover();
  await expect(page.locator(".src-sent.supports")).toHaveCount(2);
  await page.locator("h2#summary-heading").hover();
  await expect(page.locator(".src-sent.supports")).toHaveCount(0);
  // Rating keys still work with a sentence focused.
  await page.keyboard.press("h");
  await page.keyboard.press("3");
  await expect(page.locator('input[name="rating"][value="3"]')).toBeChecked();
  // Judged and submitted, so the task leaves the queue (later specs expect their own tasks first).
  await submitAccepted(page, id);
  check();
});

test("a marked sentence explains itself: the widened scope and the source sentence that lacks it, hostile text as text", async ({ page }) => {
  const check = watchErrors(page);
  const policy =
    "From March, staff may work remotely up to three days a week. " +
    "Staff may also work from another country for up to 20 days a year. " +
    '<img src=x onerror="window.__pwned=1">Managers approve each request.';
  const claim = "Staff may work remotely up to three days a week. Employees can now work fully remotely from any country <b>today</b>.";
  const id = await sendTask(page, { document: policy, summary: claim });
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  await reach(page, id);

  const sentences = page.locator(".summary .sum-sent");
  await expect(sentences).toHaveCount(2);
  await expect(sentences.nth(0)).not.toHaveClass(/weak/);
  await expect(sentences.nth(1)).toHaveClass(/weak/);
  await expect(sentences.nth(1).locator("mark.changed")).toHaveText(["fully", "any"]);
  await expect(sentences.nth(1).locator("mark.changed").first()).toHaveAttribute("title", /^scope word: /);

  const why = page.getByRole("list", { name: "Why sentences are marked" });
  await expect(why).toBeVisible();
  const fully = why.getByRole("listitem").filter({ hasText: "Scope word “fully”" });
  await expect(fully).toHaveCount(1);
  await expect(fully).toContainText("Sentence 2");
  await expect(fully).toContainText(/is not in the source sentence it follows: “(From March|Staff may also)/);
  await expect(why.getByRole("listitem").filter({ hasText: "Scope word “any”" })).toHaveCount(1);
  // The faithful first sentence has no explanation.
  await expect(why.getByRole("listitem").filter({ hasText: "Sentence 1" })).toHaveCount(0);

  // Pipeline text is shown, never run or rendered as markup, in the summary and the source.
  await expect(page.locator(".summary b")).toHaveCount(0);
  await expect(sentences.nth(1)).toContainText("<b>today</b>");
  await expect(page.locator(".document img")).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await page.keyboard.press("3");
  await submitAccepted(page, id);
  check();
});
