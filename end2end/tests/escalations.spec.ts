// The admin's escalation queue on the demo data: a missing verdict is named beside the form, a
// final verdict completes the task (checked through the pipeline API) and removes it from the list.
import { expect, test } from "./fixtures";
import { admin, apiTask, reviewer, signIn, watchErrors, live } from "./helpers";

test("an admin settles an escalated task with a final verdict", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, admin, "/admin/escalations");
  await live(page, "escalations");
  await expect(page.getByRole("heading", { name: "Escalations", level: 1 })).toBeVisible();
  const items = page.locator("li.escalation");
  const before = await items.count();
  expect(before).toBeGreaterThan(0);
  const first = items.first();
  const href = await first.locator("h2 a").getAttribute("href");
  const taskId = href!.split("/").pop()!;
  await expect(first).toContainText("Needs someone who knows the contract terms.");

  const form = first.getByRole("form");
  await form.getByRole("button", { name: "Resolve" }).click();
  await expect(form.locator(".field-error")).toHaveText("choose accept or reject");

  await form.getByLabel("Reject").check();
  await form.getByLabel("Note").fill("Checked against the contract: the dates are wrong.");
  await form.getByRole("button", { name: "Resolve" }).click();
  await expect(items).toHaveCount(before - 1);
  await expect(page.locator(`li.escalation a[href$="${taskId}"]`)).toHaveCount(0);

  const task = await apiTask(page, taskId);
  expect(task.status).toBe("reviewed");
  expect(task.verdict).toBe("reject");
  expect(task.resolution).toMatchObject({ verdict: "reject", by: "admin", note: "Checked against the contract: the dates are wrong." });
  check();
});

test("a reviewer cannot open the escalation queue", async ({ page }) => {
  await signIn(page, reviewer, "/review");
  const res = await page.goto("/admin/escalations");
  expect(res!.status()).toBe(403);
});

test("an admin escalates an output from the task list; the queue shows who and why, as text", async ({ page }) => {
  const check = watchErrors(page);
  let dialogs = 0;
  page.on("dialog", (d) => {
    dialogs++;
    void d.dismiss();
  });
  const stamp = `esc-${Date.now()}`;
  const sent = await page.request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { document: `Memo ${stamp}.`, summary: `Memo ${stamp}, summarised.`, confidence: 0.6, model: "summarizer", external_id: stamp },
  });
  expect(sent.status()).toBe(201);
  const id = (await sent.json()).id as string;

  await signIn(page, admin, `/admin/tasks?external_id=${stamp}`);
  await live(page, "tasks");
  await expect(page.locator("table.task-rows tbody tr")).toHaveCount(1);
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  await page.getByLabel("Action").selectOption("escalate");
  const apply = page.getByRole("button", { name: /Apply to selected/ });
  // The note is required, and named beside its field.
  await apply.click();
  await expect(page.locator("form.bulk .field-error")).toContainText("is required");
  await page.getByLabel("Note for whoever settles them").fill("<img src=x onerror=alert(1)> check the figures");
  await apply.click();
  await expect(page.locator("form.bulk [role=status]")).toHaveText("Escalated 1 task.");
  expect((await apiTask(page, id)).status).toBe("escalated");

  await page.goto("/admin/escalations");
  await live(page, "escalations");
  const item = page.locator("li.escalation", { has: page.locator(`a[href$="${id}"]`) });
  await expect(item).toContainText("<img src=x onerror=alert(1)> check the figures");
  await expect(item.locator("strong").first()).toHaveText("admin");
  await expect(page.locator("img[src=x]")).toHaveCount(0);
  expect(dialogs).toBe(0);
  check();
});
