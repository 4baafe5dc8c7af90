// The reviewer's loop, in real Chromium: keyboard-only review with the next task swapped in
// without a page load, and the same form working before (or without) the WASM.
import { expect, test } from "./fixtures";
import { apiTask, reviewer, signIn, watchErrors } from "./helpers";

test("a reviewer rates, comments and submits with the keyboard only and sees the next task", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  // Set by the hydrated page when its shortcuts are live: proves the WASM runs.
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const first = await card.getAttribute("data-task-id");
  expect(first).toBeTruthy();
  await expect(page.getByText("Low", { exact: true }).or(page.getByText("High", { exact: true }))).toBeVisible();

  // A marker on window survives only if the page is not reloaded.
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.keyboard.press("4");
  await expect(page.locator('input[name="rating"][value="4"]')).toBeChecked();
  await page.keyboard.press("r");
  await expect(page.locator('input[name="verdict"][value="reject"]')).toBeChecked();
  await page.keyboard.press("c");
  await expect(page.locator("#comment")).toBeFocused();
  await page.keyboard.type("The summary invents a figure.");
  await page.keyboard.press("Escape");
  await page.keyboard.press("Enter");

  await expect(card).not.toHaveAttribute("data-task-id", first!);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
  // The new task starts with a clean form.
  await expect(page.locator('input[name="rating"]:checked')).toHaveCount(0);

  // The review is sent after the next task is shown, so the server may still be storing it.
  await expect.poll(async () => (await apiTask(page, first!)).status).toBe("reviewed");
  const stored = await apiTask(page, first!);
  expect(stored.reviews).toHaveLength(1);
  expect(stored.reviews[0]).toMatchObject({ reviewer: "rita", rating: 4, verdict: "reject", comment: "The summary invents a figure." });
  check();
});

test("submitting without a rating shows the message beside the rating and keeps the task", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const id = await card.getAttribute("data-task-id");
  await page.keyboard.press("c");
  await page.keyboard.type("kept text");
  await page.keyboard.press("Control+Enter");
  await expect(page.locator("fieldset.rating .field-error")).toHaveText("choose a rating from 1 to 5");
  await expect(card).toHaveAttribute("data-task-id", id!);
  await expect(page.locator("#comment")).toHaveValue("kept text");
  check();
});

test("the next task is on screen while the server is still storing the review", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const desk = page.locator(".desk");
  const card = page.locator(".task-grid");
  const first = await card.getAttribute("data-task-id");
  // The next task was claimed in the background once the page came to life.
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  const next = await desk.getAttribute("data-next");
  expect(next).not.toBe(first);
  expect((await apiTask(page, next!)).status).toBe("in_review");

  // Hold the submit request until the next task is visible: nothing the reviewer sees waits on it.
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let submitted = 0;
  await page.route("**/api/review/submit", async (route) => {
    submitted += 1;
    await held;
    await route.continue();
  });
  await page.keyboard.press("5");
  await page.keyboard.press("Enter");
  await expect(card).toHaveAttribute("data-task-id", next!);
  await expect(page.locator('input[name="rating"]:checked')).toHaveCount(0);
  expect(submitted).toBe(1);
  expect((await apiTask(page, first!)).status).toBe("in_review");
  letGo();
  await expect.poll(async () => (await apiTask(page, first!)).status).toBe("reviewed");
  // The server's answer brings the task after that one.
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  expect(await desk.getAttribute("data-next")).not.toBe(next);
  // The marks the benchmark reads are there: moving on, then the task painted.
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").map((m) => m.name));
  expect(marks).toContain("loupe:move-on");
  expect(marks.lastIndexOf("loupe:task-shown")).toBeGreaterThan(marks.lastIndexOf("loupe:move-on"));
  check();
});

test("a background claim that answers late never queues the task already on screen", async ({ page }) => {
  const check = watchErrors(page);
  // The server handles the background claim at once, but its answer reaches the page only
  // after the reviewer has moved on (and the server has made that task the current one).
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let claimed!: () => void;
  const claimedOnServer = new Promise<void>((resolve) => (claimed = resolve));
  await page.route("**/api/review/next", async (route) => {
    const response = await route.fetch();
    claimed();
    await held;
    await route.fulfill({ response });
  });
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  await claimedOnServer;
  const card = page.locator(".task-grid");
  const first = await card.getAttribute("data-task-id");
  await page.keyboard.press("4");
  await page.keyboard.press("Enter");
  await expect(card).not.toHaveAttribute("data-task-id", first!);
  const desk = page.locator(".desk");
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  const shown = await card.getAttribute("data-task-id");
  const next = await desk.getAttribute("data-next");
  const landed = page.waitForEvent("requestfinished", (r) => r.url().includes("/api/review/next"));
  letGo();
  await landed;
  // Two frames: the page has handled the answer by then.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(await desk.getAttribute("data-next")).toBe(next);
  expect(next).not.toBe(shown);
  check();
});

test("an answer overtaken by a later move does not bring back a task already reviewed", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const desk = page.locator(".desk");
  const card = page.locator(".task-grid");
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  // The first submit reaches the server, but its answer reaches the page only at the end.
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let stored!: () => void;
  const storedOnServer = new Promise<void>((resolve) => (stored = resolve));
  let submits = 0;
  await page.route("**/api/review/submit", async (route) => {
    if (++submits > 1) return route.continue();
    const response = await route.fetch();
    stored();
    await held;
    await route.fulfill({ response });
  });
  const second = await desk.getAttribute("data-next");
  await page.keyboard.press("4");
  await page.keyboard.press("Enter");
  await expect(card).toHaveAttribute("data-task-id", second!);
  await storedOnServer;
  await page.keyboard.press("3");
  await page.keyboard.press("Enter");
  // The second submit's answer brings the third task (and a fourth behind it).
  await expect(card).not.toHaveAttribute("data-task-id", second!);
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  const third = await card.getAttribute("data-task-id");
  const fourth = await desk.getAttribute("data-next");
  const landed = page.waitForEvent("requestfinished", (r) => r.url().includes("/api/review/submit"));
  letGo();
  await landed;
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await expect(card).toHaveAttribute("data-task-id", third!);
  await expect(desk).toHaveAttribute("data-next", fourth!);
  await expect(page.locator(".late-notice")).toBeHidden();
  check();
});

test("leaving the review page gives the prefetched task back to the queue", async ({ page }) => {
  await signIn(page, reviewer);
  const desk = page.locator(".desk");
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  const next = await desk.getAttribute("data-next");
  expect((await apiTask(page, next!)).status).toBe("in_review");
  await page.goto("/history");
  await expect.poll(async () => (await apiTask(page, next!)).status).toBe("queued");

  // The same when the reviewer follows a link to another page of the app (a page load: only
  // the desk runs in the browser, so every page is fetched from the server).
  await page.goto("/review");
  await expect(desk).toHaveAttribute("data-next", /[0-9a-f-]{36}/);
  const again = await desk.getAttribute("data-next");
  expect((await apiTask(page, again!)).status).toBe("in_review");
  await page.getByRole("link", { name: "Queue" }).click();
  await expect(page).toHaveURL(/\/queue/);
  await expect.poll(async () => (await apiTask(page, again!)).status).toBe("queued");
});

test("the s key skips the task to the next one", async ({ page }) => {
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const id = await card.getAttribute("data-task-id");
  await page.keyboard.press("s");
  await expect(card).not.toHaveAttribute("data-task-id", id!);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the review form still submits and the next task appears", async ({ page }) => {
    await signIn(page, reviewer);
    const card = page.locator(".task-grid");
    const id = await card.getAttribute("data-task-id");
    await page.locator('input[name="rating"][value="2"]').check();
    await page.getByRole("button", { name: /Submit/ }).click();
    await expect(card).not.toHaveAttribute("data-task-id", id!);
    const stored = await apiTask(page, id!);
    expect(stored.reviews[0]).toMatchObject({ rating: 2, verdict: "accept" });
  });

  test("a refused form comes back with the message beside its field and the task kept", async ({ page }) => {
    await signIn(page, reviewer);
    const card = page.locator(".task-grid");
    const id = await card.getAttribute("data-task-id");
    await page.getByRole("button", { name: /Submit/ }).click();
    await expect(page.locator("fieldset.rating .field-error")).toHaveText("choose a rating from 1 to 5");
    await expect(card).toHaveAttribute("data-task-id", id!);
  });
});
