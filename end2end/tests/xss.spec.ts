// Hostile text on every page, in real Chromium. AI output is attacker-influenced (prompt
// injection), and so is what end users and people type: every field a pipeline or a person can
// fill is given strings built to break out of HTML (closing tags of every raw-text element, event
// handlers, `javascript:` URLs, SVG, mXSS shapes, bidi and replacement characters beside them),
// then every page that shows them is opened with the WASM running and with it blocked (the
// server's HTML alone). The suite fails if any injected script runs, any dialog opens, or the
// server's HTML carries live markup from the data; it also checks the text reads back exactly as
// sent (escaped once, not twice).
//
// Named to run last: its tasks are flagged with confidence 0, so they go to the front of the
// queue, and it reviews all of them before it ends.
import { request as apiRequest, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { expect, test, watchCsp } from "./fixtures";
import { admin, reviewer, signIn } from "./helpers";

/** A reviewer of its own (scripts/test.sh adds it), so no lease left by another suite is in the way. */
const fresh = { username: "hostile-rev", password: reviewer.password };

/** Every payload calls `pwn(name)` (installed by the test) or opens a dialog if it ever runs. */
const PAYLOADS = [
  `</textarea><script>pwn("textarea")</script>`,
  `</title></style></script></noscript></xmp></iframe></noembed></noframes></template></select></option><script>pwn("rawtext")</script>`,
  `<img src=x onerror=pwn("img")>`,
  `"><svg onload=pwn("attr-dq")>`,
  `' autofocus onfocus='pwn("attr-sq")' x='`,
  `javascript:pwn("url")`,
  `<a href="javascript:pwn('href')">link</a>`,
  `<svg><script>pwn("svg")</script><animate onbegin=pwn("smil") attributeName=x dur=1s>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=pwn("mxss")>`,
  `<!--<script>pwn("comment")</script>--><![CDATA[<script>pwn("cdata")</script>]]>`,
  `<iframe srcdoc="<script>parent.pwn('srcdoc')</script>"></iframe>`,
  `<script>alert("dialog")</script><body onload=alert("body")>`,
  `\u202e\ufffd\u200b<scr\ufffdipt>pwn("neighbours")</script>\u00a0<b>end</b>`,
];
const HOSTILE = PAYLOADS.join(" ");
/** Short enough for labels (model names, versions, tags, ids). */
const SHORT = `<img src=x onerror=pwn("label")></textarea>"'`;

/** Signs of live markup from the data in a page's HTML: each starts with a raw `<`, which escaped text never has. */
const LIVE_MARKUP = [/<script>pwn/i, /<img src=x/i, /<svg onload/i, /<iframe srcdoc/i, /<script>alert/i, /<body onload/i];

const runId = Date.now().toString(36);
const token = process.env.LOUPE_TOKEN ?? "";
const ids: string[] = [];
const externalIds = [1, 2, 3].map((n) => `${SHORT} ${runId}-${n}`);

type Watched = { context: BrowserContext; page: Page; ran: string[] };

/** A signed-in page that records any injected script or dialog; `wasm: false` blocks the WASM. */
async function watched(browser: Browser, who: typeof reviewer, wasm: boolean, path = "/queue"): Promise<Watched> {
  const context = await browser.newContext();
  const ran: string[] = [];
  // A script that escaped but was blocked by the CSP counts as having run: the escape failed.
  await watchCsp(context, ran);
  await context.exposeFunction("__reportPwn", (what: string) => ran.push(what));
  await context.addInitScript(() => {
    (window as any).pwn = (what: string) => (window as any).__reportPwn(String(what));
  });
  if (!wasm) await context.route("**/*.wasm", (route) => route.abort());
  const page = await context.newPage();
  page.on("dialog", async (d) => {
    ran.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  await signIn(page, who, path);
  return { context, page, ran };
}

/** Opens `path`, lets handlers fire (focus, load, hover), and checks nothing ran. */
async function visit(w: Watched, path: string) {
  const res = await w.page.goto(path);
  expect(res?.status(), path).toBeLessThan(500);
  const html = (await res?.text()) ?? "";
  for (const sign of LIVE_MARKUP) expect(html, `${path}: live markup ${sign}`).not.toMatch(sign);
  await w.page.waitForLoadState("networkidle");
  // Give onfocus / onbegin / animations a moment, and walk the focus through the page.
  for (let i = 0; i < 15; i++) await w.page.keyboard.press("Tab");
  await w.page.mouse.move(200, 300);
  await w.page.waitForTimeout(300);
  expect(w.ran, `${path}: script or dialog from the data`).toEqual([]);
}

/** Sends flagged, confidence-0 outputs (first in the queue) with hostile text in every field. */
async function sendHostile(externals: string[]) {
  const request = await apiRequest.newContext({ baseURL: process.env.LOUPE_URL ?? "http://127.0.0.1:3100" });
  const metadata: Record<string, unknown> = { [SHORT]: HOSTILE, nested: { [HOSTILE]: [HOSTILE, 1, null] }, url: "javascript:pwn('meta')" };
  const tasks = externals.map((external_id) => ({
    external_id,
    document: `The board met on Monday. ${HOSTILE}\nRevenue rose 12% to $4.1 million. ${HOSTILE}`,
    summary: `Revenue rose 12%. ${HOSTILE}`,
    confidence: 0,
    flagged: true,
    model: `${SHORT}${runId}`,
    model_version: SHORT,
    metadata,
  }));
  // A batch is a JSON array of outputs.
  const res = await request.post("/api/v1/tasks", { headers: { Authorization: `Bearer ${token}` }, data: tasks });
  expect(res.status(), await res.text()).toBeLessThan(300);
  const body = await res.json();
  const stored = Array.isArray(body) ? body : body.tasks ?? body.results ?? [];
  for (const t of stored) ids.push(t.id);
  await request.dispose();
}

test.describe.serial("hostile text", () => {
  test.beforeAll(async () => {
    await sendHostile(externalIds);
    expect(ids).toHaveLength(3);
  });

  test("an admin sets hostile guidelines, error tags and a webhook URL through the pages", async ({ browser }) => {
    const w = await watched(browser, admin, true, "/admin");
    const { page } = w;
    const guidelines = page.getByRole("form", { name: "Edit review guidelines" });
    await expect(page.locator("body")).toHaveAttribute("data-live", /guidelines/);
    await guidelines.getByLabel("Guidelines").fill(`# ${SHORT}\n- ${HOSTILE}\n**${SHORT}** ${HOSTILE}`);
    await guidelines.getByRole("button", { name: "Save guidelines" }).click();
    await expect(page.getByText("Guidelines saved.")).toBeVisible();

    // Error tags are plain words by rule: a hostile list is refused beside the field, as text.
    const tags = page.getByRole("form", { name: "Change error tags" });
    await tags.getByRole("textbox").fill(`hallucination, ${SHORT}, omission`);
    await tags.getByRole("button").click();
    await expect(tags.locator(".field-error")).toBeVisible();
    expect(w.ran).toEqual([]);

    await visit(w, "/admin/webhooks");
    await expect(page.locator("body")).toHaveAttribute("data-live", /webhooks/);
    const form = page.getByRole("form", { name: "Add a webhook endpoint" });
    await form.getByLabel("URL").fill(`https://hooks.invalid/"><img src=x onerror=pwn("hook")>`);
    await form.getByRole("button", { name: "Add" }).click();
    // Accepted (shown as text) or refused beside the field: either way nothing may run.
    await expect(page.getByRole("status").or(form.locator(".field-error")).first()).toBeVisible();
    await visit(w, "/admin/webhooks");
    await w.context.close();
  });

  test("a reviewer works hostile tasks with the WASM running: text reads back exactly, nothing runs", async ({ browser }) => {
    const w = await watched(browser, fresh, true, "/review");
    const { page } = w;
    await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
    const card = page.locator(".task-grid");
    for (const round of [0, 1]) {
      // The first task is rendered by the server; the second by the island after submit.
      const id = await card.getAttribute("data-task-id");
      expect(ids, `round ${round}: a hostile task is first in the queue`).toContain(id);
      await expect(page.locator("#corrected_summary")).toHaveValue(`Revenue rose 12%. ${HOSTILE}`);
      // Nothing typed for the task before carries over to this one.
      await expect(page.locator("#comment")).toHaveValue("");
      await expect(card.locator(".document")).toContainText(PAYLOADS[0]);
      await expect(card.locator(".metadata")).toContainText(HOSTILE);
      await expect(card.locator(".model")).toContainText(SHORT);
      await page.keyboard.press("g");
      await expect(page.getByRole("complementary", { name: "Review guidelines" })).toContainText(PAYLOADS[2]);
      await page.keyboard.press("g");
      await page.keyboard.press("7"); // the second error tag
      await page.keyboard.press("2");
      await page.keyboard.press(round === 0 ? "r" : "e");
      await page.keyboard.press("c");
      await page.keyboard.insertText(HOSTILE);
      await page.keyboard.press("Escape");
      await page.keyboard.press("w");
      await page.keyboard.press("Control+End");
      await page.keyboard.insertText(` ${SHORT}`);
      await page.keyboard.press("Escape");
      await page.waitForTimeout(300);
      expect(w.ran, `round ${round}`).toEqual([]);
      await page.keyboard.press("Enter");
      await expect(card).not.toHaveAttribute("data-task-id", id!);
    }
    await page.waitForTimeout(500);
    expect(w.ran).toEqual([]);
    // Leaving the desk gives the task it claimed in the background back to the queue.
    await page.goto("/queue");
    await w.context.close();
  });

  test("the same task works without the WASM: the server's form and page alone", async ({ browser }) => {
    test.setTimeout(150_000);
    const w = await watched(browser, fresh, false, "/review");
    const { page } = w;
    // The last hostile task may still be held by the page before (its claims race the move to
    // another page), so one more is sent; whichever the server offers first is reviewed here, and
    // anything else offered is skipped with the server's own skip form.
    await sendHostile([`${SHORT} ${runId}-4`]);
    const card = page.locator(".task-grid");
    const deadline = Date.now() + 110_000;
    let id = (await card.count()) ? await card.getAttribute("data-task-id") : null;
    while (!ids.includes(id ?? "") && Date.now() < deadline) {
      if (id) {
        await page.locator('form.skip-form button[type="submit"]').click();
        await page.waitForLoadState("networkidle");
      } else {
        await page.waitForTimeout(5_000);
        await page.goto("/review");
      }
      id = (await card.count()) ? await card.getAttribute("data-task-id") : null;
    }
    expect(ids).toContain(id);
    await expect(page.locator("#corrected_summary")).toHaveValue(`Revenue rose 12%. ${HOSTILE}`);
    await page.locator('input[name="rating"][value="3"]').check();
    await page.locator("#comment").fill(HOSTILE);
    await page.locator("#corrected_summary").fill(`Revenue rose 12%. ${SHORT}`);
    await page.locator('.review-form button[type="submit"]').click();
    await page.waitForLoadState("networkidle");
    await expect(card).not.toHaveAttribute("data-task-id", id!);
    expect(w.ran).toEqual([]);
    await w.context.close();
  });

  for (const wasm of [true, false]) {
    test(`every page that shows the hostile text, ${wasm ? "with" : "without"} the WASM`, async ({ browser }) => {
      // About fifteen pages, each given a moment for handlers to fire.
      test.setTimeout(120_000);
      const r = await watched(browser, fresh, wasm);
      for (const path of ["/queue", "/history", "/review"]) await visit(r, path);
      // The amend form on /history is pre-filled with the hostile comment, exactly.
      await r.page.goto("/history");
      await expect(r.page.locator('textarea[name="comment"]').first()).toHaveValue(HOSTILE);
      await r.context.close();

      const a = await watched(browser, admin, wasm, "/admin");
      const model = encodeURIComponent(`${SHORT}${runId}`);
      const pages = [
        "/admin",
        `/admin?model=${model}`,
        `/admin?model=${model}&version=${encodeURIComponent(SHORT)}`,
        "/admin/escalations",
        "/admin/webhooks",
        ...ids.map((id) => `/admin/tasks/${id}`),
        `/admin/tasks?model=${model}`,
        `/admin/tasks?model=${model}&sort=least_confident`,
        "/api/docs",
      ];
      for (const path of pages) await visit(a, path);
      await a.context.close();
    });
  }

  test("hostile text in URLs: next=, filters and unknown paths", async ({ browser }) => {
    test.setTimeout(60_000);
    const w = await watched(browser, admin, true, "/admin");
    for (const path of [
      `/admin?from=${encodeURIComponent(HOSTILE)}&to=${encodeURIComponent(SHORT)}`,
      `/admin?model=${encodeURIComponent(HOSTILE)}`,
      `/${encodeURIComponent(PAYLOADS[0])}`,
      `/admin/tasks/${encodeURIComponent(PAYLOADS[2])}`,
      `/admin/tasks?q=${encodeURIComponent(PAYLOADS.slice(0, 3).join(" ").slice(0, 250))}&model=${encodeURIComponent(SHORT)}&status=${encodeURIComponent(SHORT)}`,
    ])
      await visit(w, path);
    await w.context.close();

    // A hostile `next` after sign-in never leaves the site or runs script.
    const context = await browser.newContext();
    const ran: string[] = [];
    await watchCsp(context, ran);
    const page = await context.newPage();
    page.on("dialog", async (d) => {
      ran.push(d.message());
      await d.dismiss();
    });
    await page.goto(`/login?next=${encodeURIComponent("javascript:alert('next')")}`);
    await page.getByLabel("Username").fill(reviewer.username);
    await page.getByLabel("Password").fill(reviewer.password);
    await page.getByLabel("Password").press("Enter");
    await page.waitForLoadState("networkidle");
    expect(new URL(page.url()).origin).toBe(new URL(process.env.LOUPE_URL ?? "http://127.0.0.1:3100").origin);
    expect(ran).toEqual([]);
    await context.close();
  });

  test("bytes that are not UTF-8 or not storable get a 4xx naming nothing internal", async ({ request }) => {
    const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const broken = Buffer.concat([
      Buffer.from(`{"tasks":[{"document":"doc `),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(`","summary":"s","confidence":0.5,"model":"m"}]}`),
    ]);
    const res = await request.post("/api/v1/tasks", { headers: auth, data: broken });
    expect(res.status()).toBeGreaterThanOrEqual(400);
    expect(res.status()).toBeLessThan(500);
    const lone = await request.post("/api/v1/tasks", {
      headers: auth,
      data: `{"tasks":[{"document":"a \\ud800 b","summary":"s","confidence":0.5,"model":"m"}]}`,
    });
    expect(lone.status()).toBeGreaterThanOrEqual(400);
    expect(lone.status()).toBeLessThan(500);
  });

  test.afterAll(async ({ browser }) => {
    // Put the shared settings back for any suite that runs after this one.
    const w = await watched(browser, admin, true, "/admin");
    const { page } = w;
    await expect(page.locator("body")).toHaveAttribute("data-live", /guidelines/);
    const guidelines = page.getByRole("form", { name: "Edit review guidelines" });
    await guidelines.getByLabel("Guidelines").fill("");
    await guidelines.getByRole("button", { name: "Save guidelines" }).click();
    await page.goto("/admin/webhooks");
    const remove = page.getByRole("button", { name: /^Remove https:\/\/hooks\.invalid/ });
    if (await remove.count()) {
      await expect(page.locator("body")).toHaveAttribute("data-live", /webhooks/);
      await remove.first().click();
    }
    await w.context.close();
  });
});
