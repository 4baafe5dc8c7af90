// The admin's task list (issue 16): words found through the search box reached with "/", the
// filters kept in the URL, the keyboard (j / k move, x selects, Enter opens), and requeue of the
// rows picked with a required note, then a ruling on it, checked through the pipeline API.
import { expect, test } from "./fixtures";
import { admin, live, reviewer, signIn, watchErrors } from "./helpers";

const auth = { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` };

test("an admin finds outputs by their words, moves with the keys and requeues the picked ones", async ({ page }) => {
  const check = watchErrors(page);
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const word = `zebra${run}`;
  const model = `list-e2e-${run}`;
  // Nothing of this model is audit-sampled: confident outputs are auto-accepted (settled).
  const routing = await page.request.put(`/api/v1/routing/${model}`, { headers: auth, data: { audit_rate: 0 } });
  expect(routing.status()).toBe(200);
  for (const [i, confidence] of [0.99, 0.2, 0.3].entries()) {
    const res = await page.request.post("/api/v1/tasks", {
      headers: auth,
      data: {
        document: `The ${word} report ${i}: the board met on Tuesday.`,
        summary: `Summary ${i} of the ${word} report <b>bold?</b>`,
        confidence,
        model,
        model_version: "1",
        external_id: `${run}-${i}`,
      },
    });
    expect(res.status()).toBe(201);
  }
  // The search worker makes them searchable within about a second.
  await expect
    .poll(async () => (await (await page.request.get(`/api/v1/tasks?q=${word}`, { headers: auth })).json()).tasks.length)
    .toBe(3);

  await signIn(page, admin, "/admin/tasks");
  await live(page, "tasks");
  await page.keyboard.press("/");
  await expect(page.locator("#task-search")).toBeFocused();
  await page.keyboard.type(word);
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`/admin/tasks\\?q=${word}`));
  await live(page, "tasks");
  const rows = page.locator("table.task-rows tbody tr");
  await expect(rows).toHaveCount(3);

  // j moves down and focuses the row's link, x picks it.
  await page.keyboard.press("j");
  await expect(rows.nth(0)).toHaveClass(/active/);
  await page.keyboard.press("j");
  await expect(rows.nth(1)).toHaveClass(/active/);
  await page.keyboard.press("k");
  await expect(rows.nth(0)).toHaveClass(/active/);
  await page.keyboard.press("x");
  await expect(rows.nth(0)).toHaveAttribute("aria-selected", "true");
  const requeueSelected = page.getByRole("button", { name: /Apply to selected/ });
  await expect(requeueSelected).toHaveText("Apply to selected (1)");

  // Pick the auto-accepted one (confidence 0.99) by the filter instead: status in the URL.
  await page.getByLabel("Status").selectOption("auto_accepted");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/status=auto_accepted/);
  expect(page.url()).toContain(`q=${word}`);
  await live(page, "tasks");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${run}-0`);
  await page.keyboard.press("j");
  await page.keyboard.press("x");

  // The note is required, and said so beside it.
  await requeueSelected.click();
  await expect(page.locator("form.bulk .field-error")).toContainText("is required");
  await page.getByLabel("Note for the next reviewer").fill("Check the meeting day <script>x</script>");
  await requeueSelected.click();
  await expect(page.locator("form.bulk [role=status]")).toHaveText("Requeued 1 task.");
  const task = await (await page.request.get(`/api/v1/tasks/${run}-0`, { headers: auth })).json();
  expect(task.status).toBe("queued");
  expect(task.reason).toBe("requeued");
  // The same task ruled on from the list: settled with the admin's verdict.
  await page.getByLabel("Action").selectOption("reject");
  await page.getByLabel("Note (optional)").fill("The source says Monday.");
  await requeueSelected.click();
  await expect(page.locator("form.bulk [role=status]")).toHaveText("Ruled on 1 task.");
  const ruled = await (await page.request.get(`/api/v1/tasks/${run}-0`, { headers: auth })).json();
  expect(ruled.status).toBe("reviewed");
  expect(ruled.verdict).toBe("reject");
  expect(ruled.resolution).toMatchObject({ verdict: "reject", by: "admin", note: "The source says Monday." });

  // Enter opens the active row's history.
  await page.goto(`/admin/tasks?q=${word}&sort=least_confident`);
  await live(page, "tasks");
  await expect(rows.first()).toContainText(`${run}-1`);
  await page.locator("main h1").click();
  await page.keyboard.press("j");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/admin\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.locator("h1")).toContainText(`${run}-1`);
  check();
});

test("a bad filter is named beside its field, and reviewers cannot open the list", async ({ page }) => {
  await signIn(page, admin, "/admin/tasks?confidence_min=2");
  await expect(page.locator("form.task-filter .field-error")).toHaveText("must be a number from 0 to 1");
  await expect(page.locator("table.task-rows")).toHaveCount(0);
  await page.context().clearCookies();
  await signIn(page, reviewer, "/review");
  const res = await page.goto("/admin/tasks");
  expect(res!.status()).toBe(403);
});
