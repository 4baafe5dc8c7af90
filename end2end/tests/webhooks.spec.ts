// The admin area for pipelines: registering a webhook endpoint, watching a failed delivery in the
// log and resending it, and changing a model's routing from the dashboard.
import { expect, test } from "./fixtures";
import { admin, signIn, watchErrors, live } from "./helpers";

test("an admin registers a webhook, sees a failed delivery in the log and resends it", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, admin, "/admin/webhooks");
  await live(page, "webhooks");
  const form = page.getByRole("form", { name: "Add a webhook endpoint" });

  // A URL Loupe cannot post to is named beside the field, and nothing is added.
  await form.getByLabel("URL").fill("ftp://files.example/hook");
  await form.getByRole("button", { name: "Add" }).click();
  await expect(form.locator(".field-error")).toContainText("http:// or https://");
  await expect(page.getByText("No endpoints yet.")).toBeVisible();

  // An internal address is refused beside the field (the cloud metadata address here); the
  // server's allow-list (LOUPE_WEBHOOK_ALLOW in scripts/test.sh) admits only 127.0.0.1.
  await form.getByLabel("URL").fill("http://169.254.169.254/latest/meta-data/");
  await form.getByRole("button", { name: "Add" }).click();
  await expect(form.locator(".field-error")).toContainText("link-local");
  await expect(page.getByText("No endpoints yet.")).toBeVisible();

  // Nothing listens on port 9 here, so every attempt fails to connect.
  await form.getByLabel("URL").fill("http://127.0.0.1:9/hook");
  await form.getByLabel("task.escalated").check();
  await form.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("status")).toContainText("signing secret, shown only now");
  await expect(page.locator("code.secret")).toHaveText(/^whsec_/);
  const endpoints = page.getByRole("table", { name: "Endpoints" });
  await expect(endpoints).toContainText("http://127.0.0.1:9/hook");
  await expect(endpoints).toContainText("task.reviewed, task.escalated");

  // An escalation on the review page (admins may review) raises a task.escalated event.
  await page.goto("/review");
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const escalated = await card.getAttribute("data-task-id");
  await page.keyboard.press("2");
  await page.keyboard.press("e");
  await expect(page.locator('input[name="verdict"][value="escalate"]')).toBeChecked();
  await page.keyboard.press("Enter");
  await expect(card).not.toHaveAttribute("data-task-id", escalated!);

  // The worker tries at once; the log shows the failure and when it will try again.
  await expect(async () => {
    await page.goto("/admin/webhooks");
    const log = page.getByRole("table", { name: "Delivery log" });
    await expect(log).toContainText(`task.escalated`, { timeout: 500 });
    await expect(log.locator(`a[href="/admin/tasks/${escalated}"]`)).toBeVisible({ timeout: 500 });
    // Coarse on purpose: a refused port, a timeout and a reset all read the same.
    await expect(log).toContainText("delivery failed (no HTTP answer)", { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  const row = page.getByRole("table", { name: "Delivery log" }).locator("tbody tr").first();
  await expect(row).toContainText("pending");
  await row.locator("summary").click();
  await expect(row.locator("ol.attempts li").first()).toContainText("delivery failed (no HTTP answer)");

  // Resend queues it again at once: another attempt lands in the log.
  await live(page, "webhooks");
  const before = await row.locator("ol.attempts li").count();
  await row.getByRole("button", { name: /^Resend delivery/ }).click();
  await expect(async () => {
    await page.goto("/admin/webhooks");
    const again = page.getByRole("table", { name: "Delivery log" }).locator("tbody tr").first();
    await again.locator("summary").click();
    expect(await again.locator("ol.attempts li").count()).toBeGreaterThan(before);
  }).toPass({ timeout: 15_000 });

  // Removing the endpoint removes its log too.
  await live(page, "webhooks");
  await page.getByRole("button", { name: "Remove http://127.0.0.1:9/hook" }).click();
  await expect(page.getByText("No endpoints yet.")).toBeVisible();
  await expect(page.getByText("Nothing delivered yet.")).toBeVisible();
  check();
});

test("an admin changes a model's routing from the dashboard", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, admin, "/admin");
  await live(page, "routing");
  const form = page.getByRole("form", { name: "Change routing" });
  await form.getByRole("combobox", { name: "For model" }).selectOption("digest");
  await form.getByLabel("Threshold").fill("0.9");
  await form.getByRole("button", { name: "Save" }).click();
  // The demo asks for two reviews per digest task; a field left empty keeps its value (the
  // end-user rule too: on, ratings up to 2, the default).
  await expect(page.getByRole("status")).toHaveText(
    "Saved for digest: threshold 0.9, audit rate 0.05, 2 review(s) per task; end users' " +
      "dissatisfaction sends auto-accepted outputs to review (ratings up to 2).",
  );
  const res = await page.request.get("/api/v1/routing/digest", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
  });
  expect((await res.json()).threshold).toBe(0.9);
  // Back to the default for the tests that follow.
  await form.getByLabel("Threshold").fill("0.8");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("threshold 0.8");
  check();
});
