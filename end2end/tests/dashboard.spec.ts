// The admin dashboard on the demo data: charts drawn on the server, a model filter that lives in
// the URL and changes what is drawn, exports that download and parse, and reviewers kept out.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { admin, reviewer, screenshotPath, signIn, watchErrors } from "./helpers";

/** Sum of every value a chart draws (the chart publishes it as data-total). */
async function chartTotal(page: Page, name: string): Promise<number> {
  return Number(await page.locator(`[data-chart="${name}"]`).getAttribute("data-total"));
}

test("an admin filters the dashboard by model and the charts change", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, admin, "/admin");
  await expect(page.getByRole("heading", { name: "Feedback dashboard" })).toBeVisible();
  for (const name of ["volume", "reviews", "ratings", "edits", "version-rating", "version-acceptance",
                      "calibration", "calibration-audit", "what-if"]) {
    await expect(page.locator(`[data-chart="${name}"] svg`)).toBeVisible();
  }
  // Bars carry their value as hover text.
  await expect(page.locator('[data-chart="volume"] rect title').first()).toContainText("·");
  await expect(page.locator('[data-chart="what-if"] .marker-label')).toHaveText("current 0.80");
  const allVolume = await chartTotal(page, "volume");
  const allReviews = await chartTotal(page, "reviews");
  expect(allVolume).toBeGreaterThan(0);
  // The version chart has a line for each of the demo's three model versions.
  await expect(page.locator('[data-chart="version-rating"] .legend li')).toHaveCount(3);

  // The README's screenshot, on the demo data (into docs/ only through scripts/screenshots.sh).
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.screenshot({ path: screenshotPath("dashboard.png") });

  const filter = page.getByRole("form", { name: "Filter the dashboard" });
  await filter.getByRole("combobox", { name: "Model", exact: true }).selectOption("digest");
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/model=digest/);
  await expect(page.locator('[data-chart="version-rating"] .legend li')).toHaveCount(1);
  await expect(page.locator('[data-chart="version-rating"] .legend li')).toHaveText("digest 1.0");
  const digestVolume = await chartTotal(page, "volume");
  expect(digestVolume).toBeGreaterThan(0);
  expect(digestVolume).toBeLessThan(allVolume);
  expect(await chartTotal(page, "reviews")).toBeLessThan(allReviews);

  // The filtered view is a URL: opening it afresh shows the same numbers.
  const url = page.url();
  await page.goto(url);
  expect(await chartTotal(page, "volume")).toBe(digestVolume);
  await expect(page.getByRole("form", { name: "Filter the dashboard" }).getByRole("combobox", { name: "Model", exact: true }))
    .toHaveValue("digest");
  check();
});

test("a task linked from the dashboard shows its review history", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, admin, "/admin");
  const first = page.locator("#comments-h + .feed a").first();
  await first.click();
  await expect(page).toHaveURL(/\/admin\/tasks\//);
  await expect(page.getByRole("heading", { name: /^Reviews \(\d+\)$/ })).toBeVisible();
  await expect(page.locator(".history li").first()).toContainText("reviewer-");
  check();
});

test("exports download from the dashboard and parse", async ({ page }) => {
  await signIn(page, admin, "/admin");
  const [csv] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "CSV" }).click(),
  ]);
  expect(csv.suggestedFilename()).toMatch(/^loupe-feedback-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = await readFile(await csv.path(), "utf8");
  const records = text.split("\r\n").filter((l) => l.length > 0);
  expect(records[0].split(",").slice(0, 3)).toEqual(["source", "feedback_id", "task_id"]);
  expect(records.length).toBeGreaterThan(100);

  const [jsonl] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "JSONL" }).click(),
  ]);
  const rows = (await readFile(await jsonl.path(), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  expect(rows.length).toBe(records.length - 1);
  expect(rows[0]).toHaveProperty("document");
  expect(["review", "end_user"]).toContain(rows[0].source);
});

test("a reviewer gets neither the dashboard nor an export", async ({ page }) => {
  await signIn(page, reviewer);
  expect((await page.goto("/admin"))?.status()).toBe(403);
  await expect(page.locator("[data-chart]")).toHaveCount(0);
  const res = await page.request.get("/api/v1/export?format=csv");
  expect(res.status()).toBe(403);
  expect((await res.json()).error).toBe("forbidden");
});

test("the end-user panel shows the demo's satisfaction figures, a hostile signal type as text", async ({ page }) => {
  const check = watchErrors(page);
  const auth = { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` };
  // A signal type is free text from an end user's browser: this one would set __pwned if it ran.
  const hostile = `<img src=x onerror="window.__pwned=1">`;
  const sent = await page.request.post("/api/v1/tasks", {
    headers: auth,
    data: { document: "The ferry runs hourly.", summary: "Ferries run hourly.", confidence: 0.99, model: "summarizer", model_version: "e2e-dash", external_id: `dash-users-${Date.now()}` },
  });
  const { id } = await sent.json();
  const res = await page.request.post("/feedback", { headers: auth, data: { task_id: id, user_id: "dash-reader", feedback_type: hostile, value: null } });
  expect(res.status(), await res.text()).toBe(200);

  await signIn(page, admin, "/admin");
  const panel = page.locator('[data-panel="end-users"]');
  await expect(panel.getByRole("heading", { name: "End users", exact: true })).toBeVisible();
  // The demo's month of history has end users' thumbs and ratings on about a third of outputs.
  expect(Number(await panel.locator('[data-figure="end-user-signals"]').textContent())).toBeGreaterThan(100);
  await expect(panel.locator('[data-figure="thumbs-up"]')).toHaveText(/^\d+\.\d% of \d+$/);
  await expect(panel.locator('[data-figure="end-user-agreement"]')).toHaveText(/^\d+\.\d% of \d+ pairs$/);
  for (const name of ["end-user-thumbs", "end-user-rating"]) {
    await expect(page.locator(`[data-chart="${name}"] svg`)).toBeVisible();
  }
  const types = panel.locator('[data-table="end-user-types"] tbody tr td:first-child');
  await expect(types.first()).toHaveText("thumbs");
  await expect(types.filter({ hasText: hostile })).toHaveCount(1);
  await expect(panel.locator("img")).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  check();
});
