// End users in the loop, in real Chromium: an auto-accepted output its end users dislike goes back
// to review as `user_feedback`, and the reviewer sees what end users said beside the summary —
// counts per type and their newest texts — with hostile text shown as text, never as markup.
import { expect, test } from "./fixtures";
import type { APIRequestContext } from "@playwright/test";
import { apiTask, reach, reviewer, signIn, watchErrors } from "./helpers";

const auth = { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` };
const runId = Date.now().toString(36);
/** Each would set `window.__pwned` or open a dialog if it ever ran. */
const HOSTILE = `<img src=x onerror="window.__pwned='img'"> </textarea><script>window.__pwned='script'</script> <svg onload=alert(1)>`;

async function feedback(request: APIRequestContext, task_id: string, feedback_type: string, value: number | null, comments?: string) {
  const res = await request.post("/feedback", { headers: auth, data: { task_id, user_id: `reader-${runId}`, feedback_type, value, comments } });
  expect(res.status(), await res.text()).toBe(200);
}

test("a thumbs-down on an auto-accepted output sends it back to review as user_feedback", async ({ page }) => {
  // The demo's defaults audit-sample 5% of confident outputs: send until one is auto-accepted.
  let receipt: any;
  for (let i = 0; i < 10; i++) {
    const res = await page.request.post("/api/v1/tasks", {
      headers: auth,
      data: { document: "The council approved the budget.", summary: "Budget approved.", confidence: 0.99, model: "summarizer", model_version: "e2e-users", external_id: `liked-${runId}-${i}` },
    });
    receipt = await res.json();
    if (receipt.reason === "auto_accepted") break;
  }
  expect(receipt.status).toBe("auto_accepted");
  await feedback(page.request, receipt.external_id, "thumbs", 0, "Wrong: it was rejected.");
  const task = await apiTask(page, receipt.id);
  expect([task.status, task.reason, task.needs_review]).toEqual(["queued", "user_feedback", true]);
  expect(task.feedback[0]).toMatchObject({ feedback_type: "thumbs", value: "down", comments: "Wrong: it was rejected." });
});

test("the reviewer sees end users' feedback beside the summary, hostile text as text", async ({ page }) => {
  const check = watchErrors(page);
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  // Flagged with confidence 0: the front of the queue.
  const res = await page.request.post("/api/v1/tasks", {
    headers: auth,
    data: { document: "The port reopened on Monday after the strike.", summary: "The port stays closed.", confidence: 0.0, flagged: true, model: "summarizer", model_version: "e2e-users", external_id: `disliked-${runId}` },
  });
  const { id } = await res.json();
  await feedback(page.request, id, "thumbs", 0, HOSTILE);
  await feedback(page.request, id, "rating", 1.5);
  await feedback(page.request, id, "copy", null);
  await feedback(page.request, id, "correction", null, `The port reopened on Monday. ${HOSTILE}`);

  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  await reach(page, id);

  const panel = page.locator("section.end-users");
  await expect(panel.getByRole("heading", { name: "End users said" })).toBeVisible();
  await expect(panel.locator(".end-user-counts li")).toHaveText(["copy: 1", "correction: 1", "rating: 1 (mean 1.5)", "thumbs: 0 up, 1 down"]);
  // Newest first; the texts read back exactly as sent: escaped once, never run.
  const notes = panel.locator(".end-user-notes li q");
  await expect(notes).toHaveText([`The port reopened on Monday. ${HOSTILE}`, HOSTILE]);
  await expect(panel.locator(".end-user-notes li").first()).toContainText("Correction:");
  await expect(panel.locator("img, script, svg, textarea")).toHaveCount(0);
  const html = await (await page.request.get("/review")).text();
  expect(html).not.toMatch(/<img src=x|<script>window|<svg onload/);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);

  // Review it, so the flagged task does not stay at the front of the queue for the next specs.
  await page.keyboard.press("2");
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await apiTask(page, id)).status).toBe("reviewed");
  check();
});
