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
