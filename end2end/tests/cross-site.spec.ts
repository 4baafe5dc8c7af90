// Forged requests from another origin, in real Chromium: a page on another port of the same host
// (same-site for the browser, so the SameSite=Lax session cookie goes along) auto-submits forms to
// Loupe's admin server functions and to login, and posts a "simple" text/plain body to the JSON
// API. Loupe refuses every one (server/src/csrf.rs); the same change made from Loupe's own
// dashboard goes through.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { admin, live, signIn } from "./helpers";

const loupe = new URL(process.env.LOUPE_URL ?? "http://127.0.0.1:3100");
const token = { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` };

// The attacker's site: a real server on another port of the same host, serving whatever page the
// test sets. (A real socket matters: Chromium lets a loopback page fetch from loopback.)
let evilPage = "";
let evil = "";
let server: Server;
test.beforeAll(async () => {
  server = createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end(evilPage));
  await new Promise<void>((resolve) => server.listen(0, loupe.hostname, resolve));
  evil = `http://${loupe.hostname}:${(server.address() as AddressInfo).port}`;
});
test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Opens `html` as the attacker's page. */
async function openEvilPage(page: Page, html: string) {
  evilPage = html;
  await page.goto(`${evil}/prize.html`);
}

function autoSubmit(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join("");
  return `<!DOCTYPE html><title>You won</title>
    <form id="f" method="post" action="${loupe.origin}${action}">${inputs}</form>
    <script>document.getElementById("f").submit()</script>`;
}

async function routing(page: Page, model: string): Promise<any> {
  const res = await page.request.get(`/api/v1/routing/${encodeURIComponent(model)}`, { headers: token });
  expect(res.status()).toBe(200);
  return res.json();
}

test("a page on another port cannot turn review off with the admin's cookie; the dashboard can", async ({ page }) => {
  // The default routing: what every model without its own settings uses.
  const model = "*";
  await signIn(page, admin, "/admin");
  const before = await routing(page, model);

  const refused = page.waitForResponse((r) => r.url().endsWith("/api/admin/routing"));
  await openEvilPage(page, autoSubmit("/api/admin/routing", { model, threshold: "0", audit_rate: "0" }));
  expect((await refused).status()).toBe(403);
  await expect(page.locator("body")).toContainText("sent from another site");
  const after = await routing(page, model);
  expect(after.threshold).toBe(before.threshold);
  expect(after.audit_rate).toBe(before.audit_rate);

  // The same form on Loupe's own dashboard is accepted (saving the values it already has).
  await page.goto("/admin");
  await live(page, "routing");
  const form = page.getByRole("form", { name: "Change routing" });
  await form.getByLabel("For model").selectOption(model);
  await form.getByLabel("Threshold").fill(String(before.threshold));
  await form.getByLabel("Audit rate").fill(String(before.audit_rate));
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText(`Saved for ${model}: threshold ${before.threshold}`);
});

for (const [action, fields] of [
  ["/api/admin/webhooks/add", { url: "https://hooks.example.com/forged", reviewed: "on" }],
  ["/api/admin/guidelines", { text: "# Forged guidelines" }],
  ["/api/admin/escalations/resolve", { task_id: "00000000-0000-0000-0000-000000000000", verdict: "accept" }],
  ["/api/admin/error-tags", { tags: "forged" }],
] as const) {
  test(`a cross-site form post to ${action} is refused`, async ({ page }) => {
    await signIn(page, admin, "/admin");
    const refused = page.waitForResponse((r) => r.url().endsWith(action));
    await openEvilPage(page, autoSubmit(action, fields));
    expect((await refused).status()).toBe(403);
    await expect(page.locator("body")).toContainText("sent from another site");
  });
}

test("nothing a forged form sent was stored", async ({ page }) => {
  const hooks = await (await page.request.get("/api/v1/webhooks", { headers: token })).json();
  expect(JSON.stringify(hooks)).not.toContain("forged");
  await signIn(page, admin, "/admin");
  await expect(page.locator("body")).not.toContainText("Forged guidelines");
});

test("login from another origin is refused and signs nobody in", async ({ page }) => {
  const refused = page.waitForResponse((r) => r.url().endsWith("/api/login"));
  await openEvilPage(page, autoSubmit("/api/login", { username: admin.username, password: admin.password }));
  expect((await refused).status()).toBe(403);
  await page.goto("/review");
  await expect(page).toHaveURL(/\/login/);
});

test("a text/plain post to the JSON API from another origin creates nothing", async ({ page }) => {
  await signIn(page, admin, "/admin");
  const refused = page.waitForResponse((r) => r.url().endsWith("/api/v1/webhooks") && r.request().method() === "POST");
  await openEvilPage(
    page,
    `<!DOCTYPE html><script>
      fetch(${JSON.stringify(`${loupe.origin}/api/v1/webhooks`)}, {
        method: "POST", mode: "no-cors", credentials: "include",
        headers: { "Content-Type": "text/plain" },
        body: JSON.stringify({ url: "https://hooks.example.com/plain-forged", events: ["task.reviewed"] }),
      });
    </script>`,
  );
  // The browser hides the answer from the page; the server refused it.
  expect([403, 415]).toContain((await refused).status());
  const hooks = await (await page.request.get("/api/v1/webhooks", { headers: token })).json();
  expect(JSON.stringify(hooks)).not.toContain("plain-forged");
});
