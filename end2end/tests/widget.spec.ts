// The embeddable feedback widget, in real Chromium, on a product page served from another origin
// than Loupe's: a page whose origin the publishable key lists lets a visitor send thumbs, a
// rating, a comment and a correction by keyboard alone, and Loupe stores them exactly as the
// pipeline's POST /feedback would (a thumbs-down on an auto-accepted output sends it back to
// review); a page on an origin the key does not list is refused, says so, and stores nothing.
//
// The key is made by the harness (scripts/test.sh: `loupe key add e2e-widget --origin
// http://127.0.0.1:$LOUPE_WIDGET_PORT`) and passed in LOUPE_WIDGET_KEY; this spec serves the
// product page itself with node's http module on that port, and the refused page on another.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { apiTask, watchErrors } from "./helpers";

const auth = { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` };
const loupe = process.env.LOUPE_URL ?? "http://127.0.0.1:3100";
const key = process.env.LOUPE_WIDGET_KEY ?? "";
const allowedPort = Number(process.env.LOUPE_WIDGET_PORT ?? "0");
const runId = Date.now().toString(36);

/** A product page: one AI output and the widget beside it (the output named by `?output=`). */
function productSite(): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page.invalid");
    const output = (url.searchParams.get("output") ?? "").replace(/[^A-Za-z0-9_-]/g, "");
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main><h1>Your summary</h1><p>Budget approved.</p>
<div data-loupe-output="${output}" data-loupe-user="shopper-${runId}"></div>
<script src="${loupe}/widget.js" data-loupe-key="${key}" defer></script></main></body></html>`);
  });
}

async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

let allowed: http.Server;
let refused: http.Server;
let refusedPort = 0;

test.beforeAll(async () => {
  expect(key, "LOUPE_WIDGET_KEY (made by scripts/test.sh)").toMatch(/^lpk_/);
  expect(allowedPort, "LOUPE_WIDGET_PORT").toBeGreaterThan(0);
  allowed = productSite();
  refused = productSite();
  await listen(allowed, allowedPort);
  refusedPort = await listen(refused, 0);
});

test.afterAll(async () => {
  await new Promise((r) => allowed?.close(r));
  await new Promise((r) => refused?.close(r));
});

/** Presses Tab until `name`d control has the focus: the way a keyboard user gets there. */
async function tabTo(page: Page, role: "button" | "textbox", name: string) {
  const target = page.getByRole(role, { name, exact: true });
  for (let i = 0; i < 30; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return target;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${role} "${name}"`);
}

/** Sends an output through the API until one is auto-accepted (the demo audit-samples 5%). */
async function autoAccepted(page: Page, prefix: string) {
  for (let i = 0; i < 10; i++) {
    const res = await page.request.post(`${loupe}/api/v1/tasks`, {
      headers: auth,
      data: { document: "The council approved the budget on Monday.", summary: "Budget approved.", confidence: 0.99, model: "summarizer", model_version: "e2e-widget", external_id: `${prefix}-${runId}-${i}` },
    });
    expect(res.status()).toBe(201);
    const receipt = await res.json();
    if (receipt.status === "auto_accepted") return receipt;
  }
  throw new Error("no output was auto-accepted");
}

test("a visitor on an allowed origin sends feedback by keyboard; it reaches Loupe as POST /feedback would", async ({ page }) => {
  const check = watchErrors(page);
  const receipt = await autoAccepted(page, "widget");
  const pageOrigin = `http://127.0.0.1:${allowedPort}`;
  expect(pageOrigin).not.toBe(new URL(loupe).origin);
  await page.goto(`${pageOrigin}/?output=${receipt.external_id}`);
  const status = page.getByRole("status");
  await expect(page.getByRole("group", { name: "Feedback on this answer" })).toBeVisible();

  const down = await tabTo(page, "button", "Thumbs down");
  // The focus is visible (the widget's own outline, not the browser's default only).
  expect(await down.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe("none");
  await page.keyboard.press("Enter");
  await expect(status).toHaveText("Thank you: your feedback was sent.");
  await expect(down).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "Thumbs up" })).toHaveAttribute("aria-pressed", "false");

  const four = await tabTo(page, "button", "4 out of 5");
  await page.keyboard.press("Space");
  await expect(status).toHaveText("Thank you: your feedback was sent.");
  await expect(four).toHaveAttribute("aria-pressed", "true");

  await tabTo(page, "textbox", "Comment");
  await page.keyboard.type("Says nothing about <b>when</b>.");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Send comment" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(status).toHaveText("Thank you: your feedback was sent.");

  await tabTo(page, "textbox", "Suggest a correction");
  await page.keyboard.type("The budget was approved on Monday.");
  await tabTo(page, "button", "Send correction");
  await page.keyboard.press("Enter");
  await expect(status).toHaveText("Thank you: your feedback was sent.");
  await expect(page.getByRole("textbox", { name: "Suggest a correction" })).toHaveValue("");

  // Through the pipeline's API: every signal stored, and the thumbs-down sent the output back.
  const task = await apiTask(page, receipt.id);
  expect([task.status, task.reason, task.needs_review]).toEqual(["queued", "user_feedback", true]);
  const seen = task.feedback.map((f: any) => [f.feedback_type, f.value, f.comments, f.user_id]);
  expect(seen).toEqual(
    expect.arrayContaining([
      ["thumbs", "down", null, `shopper-${runId}`],
      ["rating", 4, null, `shopper-${runId}`],
      ["comment", null, "Says nothing about <b>when</b>.", `shopper-${runId}`],
      ["correction", null, "The budget was approved on Monday.", `shopper-${runId}`],
    ]),
  );
  expect(task.feedback).toHaveLength(4);
  // The widget wrote text, never markup.
  await expect(page.locator(".loupe-fb b")).toHaveCount(0);
  check();
});

test("a page on an origin the key does not list is refused, says so, and stores nothing", async ({ page }) => {
  const receipt = await autoAccepted(page, "widget-refused");
  await page.goto(`http://127.0.0.1:${refusedPort}/?output=${receipt.external_id}`);
  const answers: number[] = [];
  page.on("response", (r) => {
    if (r.url().endsWith("/api/v1/public/feedback")) answers.push(r.status());
  });
  await tabTo(page, "button", "Thumbs down");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toHaveText(/could not be sent: this page is not allowed/);
  // The browser's preflight was refused, so no POST was answered with success.
  expect(answers).not.toContain(200);
  const task = await apiTask(page, receipt.id);
  expect(task.feedback).toEqual([]);
  expect(task.status).toBe("auto_accepted");
});
