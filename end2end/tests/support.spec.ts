// Source-support hints in real Chromium: a summary sentence looked at (hover, or focus with the
// h key) lights up the source sentences behind it; a weak sentence and invented facts are marked.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { reach, reviewer, signIn, watchErrors } from "./helpers";

const filler = Array.from({ length: 80 }, (_, i) => `Background paragraph ${i + 1} repeats routine context.`).join(" ");
const document =
  `Acme Corp reported results on Tuesday. ${filler} Revenue at the Rotterdam plant fell 12 percent in the third quarter. ` +
  "The weather in the region was mild. Management blamed a strike at the port for the drop.";
const summary = "Rotterdam revenue fell 12 percent, blamed on a port strike. Acme hired Jane Porter as chief executive in 2025.";

/** Sends the task flagged with the lowest confidence, so it is the next one any reviewer gets. */
async function sendTask(page: Page): Promise<string> {
  const res = await page.request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { document, summary, confidence: 0.0, flagged: true, model: "summarizer", model_version: "e2e", external_id: `hints-${Date.now()}` },
  });
  expect(res.status()).toBeLessThan(300);
  return (await res.json()).id;
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
  await expect(sentences.nth(1)).toHaveAccessibleDescription("Weak support in the source");
  await expect(sentences.nth(1).locator("mark.unsupported")).toHaveText(["Jane Porter", "2025"]);
  await expect(page.locator(".support-legend")).toContainText("1 of 2 sentences weakly supported");
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
  check();
});
