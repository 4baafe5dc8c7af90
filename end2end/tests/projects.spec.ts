// Projects on /queue: a reviewer of two projects (scripts/test.sh makes `e2e-legal`, whose name is
// hostile markup, and its member `proj-rev`) picks one with a plain form and is handed only its
// outputs; the project's name shows as text; then back to "All my projects". An admin assigns
// from the list; and a project's own error tags and guidelines reach its reviewers.
import { expect, test } from "./fixtures";
import { admin, apiTask, live, reach, reviewer, signIn, watchErrors } from "./helpers";

const member = { username: "proj-rev", password: reviewer.password };
const projectAdmin = { username: "proj-admin", password: reviewer.password };

test("a reviewer picks a project on /queue and reviews only its outputs", async ({ page }) => {
  const check = watchErrors(page);
  let dialogs = 0;
  page.on("dialog", (d) => {
    dialogs++;
    void d.dismiss();
  });
  const stamp = `legal-${Date.now()}`;
  const sent = await page.request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: {
      document: `The contract ${stamp} runs for two years.`,
      summary: `Contract ${stamp}: two years.`,
      confidence: 0.01,
      model: "summarizer",
      external_id: stamp,
      project: "e2e-legal",
    },
  });
  expect(sent.status()).toBe(201);

  await signIn(page, member, "/queue");
  const picker = page.getByRole("form", { name: "Projects to review" });
  const select = picker.getByLabel("Review");
  await expect(select).toHaveValue("");
  // The hostile name is an option's text, never markup.
  const legal = select.locator('option[value="e2e-legal"]');
  await expect(legal).toContainText("<img src=x onerror=alert(1)> Legal");
  await expect(page.locator("img[src=x]")).toHaveCount(0);

  // A plain form: the post comes back to /queue, which now shows the pick.
  await select.selectOption("e2e-legal");
  const back = page.waitForResponse((r) => new URL(r.url()).pathname === "/queue" && r.request().method() === "GET");
  await picker.getByRole("button", { name: "Choose" }).click();
  await back;
  await expect(page.locator("#project")).toHaveValue("e2e-legal");
  await expect(page).toHaveURL(/\/queue\??$/);
  const waiting = Number(await page.locator(".waiting-total strong").innerText());
  const legalWaiting = Number((await legal.innerText()).match(/\((\d+) waiting\)/)![1]);
  expect(waiting).toBe(legalWaiting);
  expect(waiting).toBeGreaterThanOrEqual(1);

  // Every task the desk hands over is legal's: here, the one just sent (the least confident).
  await page.getByRole("link", { name: "Start reviewing" }).click();
  await page.waitForURL("**/review");
  await expect(page.locator(".task-grid")).toContainText(`Contract ${stamp}: two years.`);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  // Reviewed, legal has nothing more for this reviewer, though the default project has plenty.
  const stored = page.waitForResponse((r) => r.url().includes("/api/review/submit") && r.ok());
  await page.keyboard.press("4");
  await page.keyboard.press("Enter");
  await stored;
  await expect(page.getByText("Nothing is waiting for your review.")).toBeVisible();

  // All of them again: the total is the sum of the projects' counts.
  await page.goto("/queue");
  await page.locator("#project").selectOption("");
  const again = page.waitForResponse((r) => new URL(r.url()).pathname === "/queue" && r.request().method() === "GET");
  await page.getByRole("button", { name: "Choose" }).click();
  await again;
  await expect(page.locator("#project")).toHaveValue("");
  // Now the default project's work counts (legal's one task is reviewed).
  const all = Number(await page.locator(".waiting-total strong").innerText());
  expect(all).toBeGreaterThan(0);
  expect(dialogs).toBe(0);
  check();
});

test("an admin assigns a waiting output from the list; only its assignee is handed it", async ({ browser }) => {
  const auth = { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` };
  const adminPage = await browser.newPage();
  const check = watchErrors(adminPage);
  const stamp = `assign-${Date.now()}`;
  const sent = await adminPage.request.post("/api/v1/tasks", {
    headers: auth,
    data: [
      { document: `Clause ${stamp}-a.`, summary: `Clause ${stamp}-a, kept.`, confidence: 0.02, model: "summarizer", external_id: `${stamp}-a`, project: "e2e-legal" },
    ],
  });
  expect(sent.status()).toBe(200);

  await signIn(adminPage, admin, `/admin/tasks?project=e2e-legal&external_id=${stamp}-a`);
  await live(adminPage, "tasks");
  await expect(adminPage.locator("table.task-rows tbody tr")).toHaveCount(1);
  // The list names each output's project.
  await expect(adminPage.locator("table.task-rows tbody tr td").nth(2)).toHaveText("e2e-legal");
  await adminPage.keyboard.press("j");
  await adminPage.keyboard.press("x");
  await adminPage.getByLabel("Action").selectOption("assign");
  const apply = adminPage.getByRole("button", { name: /Apply to selected/ });
  // An unknown assignee is named beside its field; a real one is kept.
  await adminPage.getByLabel("Assignee").fill("<b>nobody</b>");
  await apply.click();
  await expect(adminPage.locator("form.bulk .field-error")).toContainText("names no active reviewer");
  await adminPage.getByLabel("Assignee").fill("proj-rev");
  await apply.click();
  await expect(adminPage.locator("form.bulk [role=status]")).toHaveText("Assigned 1 task.");
  check();

  // The assignee is handed it first, ahead of any other work.
  const page = await browser.newPage();
  await signIn(page, member, "/review");
  await expect(page.locator(".task-grid")).toContainText(`Clause ${stamp}-a, kept.`);
});

test("a project's own error tags and guidelines reach its reviewers, as text", async ({ browser }) => {
  const adminPage = await browser.newPage();
  const checkAdmin = watchErrors(adminPage);
  let dialogs = 0;
  const dismiss = (d: { dismiss: () => Promise<void> }) => {
    dialogs++;
    void d.dismiss();
  };
  adminPage.on("dialog", dismiss);
  await signIn(adminPage, admin, "/admin?project=e2e-legal");
  await live(adminPage, "tags");
  await live(adminPage, "guidelines");
  const chooser = adminPage.getByRole("form", { name: "Choose the project to edit" });
  await expect(chooser.getByRole("combobox")).toHaveValue("e2e-legal");
  await expect(chooser.locator('option[value="e2e-legal"]')).toHaveText("<img src=x onerror=alert(1)> Legal (e2e-legal)");
  const tagsForm = adminPage.getByRole("form", { name: "Change error tags" });
  await tagsForm.getByLabel("Tags, comma-separated").fill("missing clause, wrong party");
  await tagsForm.getByRole("button", { name: "Save" }).click();
  await expect(adminPage.getByText("Saved. In force now: missing clause, wrong party.")).toBeVisible();
  const editor = adminPage.getByRole("form", { name: "Edit review guidelines" });
  await editor.getByLabel("Guidelines").fill("# Contracts <img src=x onerror=alert(2)>\n\nCheck **every** clause.");
  await editor.getByRole("button", { name: "Save guidelines" }).click();
  await expect(adminPage.getByText("Guidelines saved.")).toBeVisible();
  await expect(adminPage.locator("img[src=x]")).toHaveCount(0);
  checkAdmin();

  const stamp = `rules-${Date.now()}`;
  const sent = await adminPage.request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { document: `Contract ${stamp}: the buyer pays.`, summary: `Contract ${stamp}: the seller pays.`, confidence: 0.001, model: "summarizer", external_id: stamp, project: "e2e-legal" },
  });
  expect(sent.status()).toBe(201);
  const id = (await sent.json()).id as string;

  // The member reviews legal only (other specs may have left legal work in their hands).
  const page = await browser.newPage();
  const check = watchErrors(page);
  page.on("dialog", dismiss);
  await signIn(page, member, "/queue");
  await page.locator("#project").selectOption("e2e-legal");
  const picked = page.waitForResponse((r) => new URL(r.url()).pathname === "/queue" && r.request().method() === "GET");
  await page.getByRole("button", { name: "Choose" }).click();
  await picked;
  await page.goto("/review");
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  await reach(page, id);
  await expect(page.locator(".facts .project")).toHaveText("project e2e-legal");
  const tags = page.getByRole("group", { name: "Error tags" });
  await expect(tags.getByRole("checkbox")).toHaveCount(2);
  await page.keyboard.press("g");
  const panel = page.getByRole("complementary", { name: "Review guidelines" });
  await expect(panel.getByRole("heading", { name: "Contracts <img src=x onerror=alert(2)>" })).toBeVisible();
  await expect(panel.locator("strong")).toHaveText("every");
  await expect(page.locator("img[src=x]")).toHaveCount(0);
  await page.keyboard.press("g");
  // 7 marks the second tag; stored with the review.
  await page.keyboard.press("7");
  await expect(tags.getByRole("checkbox", { name: "wrong party" })).toBeChecked();
  await page.keyboard.press("2");
  await page.keyboard.press("r");
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await apiTask(page, id)).reviews.length).toBeGreaterThan(0);
  expect((await apiTask(page, id)).reviews.at(-1).error_tags).toEqual(["wrong party"]);

  // Back to all of this reviewer's projects, as the first spec expects.
  await page.goto("/queue");
  await page.locator("#project").selectOption("");
  const reset = page.waitForResponse((r) => new URL(r.url()).pathname === "/queue" && r.request().method() === "GET");
  await page.getByRole("button", { name: "Choose" }).click();
  await reset;
  expect(dialogs).toBe(0);
  check();
});

test("an admin gives a project its own routing, and only that project's outputs follow it", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, admin, "/admin?project=e2e-legal");
  await live(page, "routing");
  const form = page.getByRole("form", { name: "Change routing" });
  await form.getByLabel("For model").selectOption("*");
  await form.getByLabel("Threshold").fill("0.99");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved for * in project e2e-legal: threshold 0.99")).toBeVisible();

  const stamp = `route-${Date.now()}`;
  const send = async (project: string | undefined, n: number) => {
    const res = await page.request.post("/api/v1/tasks", {
      headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
      data: { document: `Memo ${stamp}-${n}.`, summary: `Memo ${stamp}-${n}.`, confidence: 0.95, model: "summarizer", external_id: `${stamp}-${n}`, ...(project ? { project } : {}) },
    });
    expect(res.status()).toBe(201);
    return (await res.json()) as { id: string; reason: string };
  };
  // 0.95 is under legal's threshold, over the default project's (0.8).
  const legal = await send("e2e-legal", 1);
  expect(legal.reason).toBe("low_confidence");
  expect((await send(undefined, 2)).reason).not.toBe("low_confidence");

  // The dashboard's routing table names the project; the default project's row is unchanged.
  await page.reload();
  const rows = page.locator("section.panel table.data tbody tr");
  await expect(rows.filter({ hasText: "e2e-legal" })).toContainText("0.99");
  await expect(rows.filter({ hasText: /^default/ }).first()).toContainText("0.80");

  // Back to the default project's settings, for the specs after this one; then the legal output
  // this made is settled so no later queue meets it.
  const reset = await page.request.delete("/api/v1/routing/%2A?project=e2e-legal", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
  });
  expect(reset.status()).toBe(204);
  const settled = await page.request.post("/api/v1/resolve", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { verdict: "accept", ids: [legal.id] },
  });
  expect((await settled.json()).changed).toBe(1);
  check();
});

test("a project admin finds and settles only their project's outputs, and sets only its routing", async ({ page }) => {
  const check = watchErrors(page);
  const stamp = `padmin-${Date.now()}`;
  const send = async (project: string | undefined, n: number) => {
    const res = await page.request.post("/api/v1/tasks", {
      headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
      data: { document: `Lease ${stamp} ${n}.`, summary: `Lease ${stamp} ${n}.`, confidence: 0.01, model: "summarizer", external_id: `${stamp}-${n}`, ...(project ? { project } : {}) },
    });
    expect(res.status()).toBe(201);
    return (await res.json()).id as string;
  };
  const legal = await send("e2e-legal", 1);
  const other = await send(undefined, 2);

  await signIn(page, projectAdmin, "/admin/tasks");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Tasks" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);
  // The search finds both outputs' words, but only the legal one is theirs.
  await page.goto(`/admin/tasks?q=${stamp}`);
  await live(page, "tasks");
  const rows = page.getByRole("table", { name: "Tasks" }).locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${stamp}-1`);
  await expect(page.getByText(`${stamp}-2`)).toHaveCount(0);
  // Settled from the list, with the keyboard: x selects, then the action.
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  await page.locator("form.bulk select[name=action]").selectOption("accept");
  await page.locator("form.bulk").getByRole("button", { name: "Apply to selected (1)" }).click();
  await expect(page.locator("form.bulk [role=status]")).toHaveText("Ruled on 1 task.");
  expect((await apiTask(page, legal)).status).toBe("reviewed");
  expect((await apiTask(page, other)).status).toBe("queued");
  // Another project's task page is not found; the admin-only pages stay closed.
  await page.goto(`/admin/tasks/${other}`);
  await expect(page.locator("main")).toContainText("not found");
  expect((await page.goto("/admin/webhooks"))?.status()).toBe(403);

  // Their dashboard: their project's figures and settings, without the admin-only links.
  await page.goto("/admin");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Feedback dashboard: your projects");
  await expect(page.getByRole("link", { name: "Webhooks and delivery log" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Audit log" })).toHaveCount(0);
  const filter = page.getByRole("form", { name: "Filter the dashboard" });
  const projectChoice = filter.getByLabel("Project");
  await expect(projectChoice.locator("option")).toHaveText(["All my projects", /\(e2e-legal\)$/]);
  await projectChoice.selectOption("e2e-legal");
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/project=e2e-legal/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Feedback dashboard: (?!your projects)/);
  // The export links keep to the same project.
  await expect(page.getByRole("link", { name: "JSONL" })).toHaveAttribute("href", /project=e2e-legal/);
  // Another project's figures, by URL: refused, with nothing of it shown.
  await page.goto("/admin?project=default");
  await expect(page.locator("main")).toContainText("is not a project you administer");
  await page.goto("/admin");
  const chooser = page.getByRole("form", { name: "Choose the project to edit" });
  await expect(chooser.locator("option")).toHaveCount(1);
  await expect(chooser.getByRole("combobox")).toHaveValue("e2e-legal");
  await live(page, "routing");
  const form = page.getByRole("form", { name: "Change routing" });
  await form.getByLabel("Audit rate").fill("0.5");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved for * in project e2e-legal:")).toBeVisible();
  const reset = await page.request.delete("/api/v1/routing/%2A?project=e2e-legal", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
  });
  expect(reset.status()).toBe(204);

  // The output in the default project is left for the other specs' order: settle it too.
  const settled = await page.request.post("/api/v1/resolve", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { verdict: "accept", ids: [other] },
  });
  expect((await settled.json()).changed).toBe(1);
  check();
});

test("an admin raises a waiting output's priority from the list; an out-of-range one is held back", async ({ page }) => {
  const check = watchErrors(page);
  const stamp = `prio-${Date.now()}`;
  const sent = await page.request.post("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { document: `Report ${stamp}.`, summary: `Report ${stamp}, short.`, confidence: 0.7, model: "summarizer", external_id: stamp, flagged: true },
  });
  expect(sent.status()).toBe(201);
  const id = (await sent.json()).id as string;

  await signIn(page, admin, `/admin/tasks?external_id=${stamp}`);
  await live(page, "tasks");
  await expect(page.locator("table.task-rows tbody tr")).toHaveCount(1);
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  await page.getByLabel("Action").selectOption("priority");
  const apply = page.getByRole("button", { name: /Apply to selected/ });
  const field = page.getByRole("spinbutton", { name: "Priority" });
  // Out of range: the browser holds the form back (the server's own check is the API's test).
  await field.fill("12");
  await apply.click();
  expect(await field.evaluate((e: HTMLInputElement) => e.validity.rangeOverflow)).toBe(true);
  await expect(page.locator("form.bulk [role=status]")).toHaveText("");
  expect((await apiTask(page, id)).priority).toBe(0);
  await field.fill("7");
  await apply.click();
  await expect(page.locator("form.bulk [role=status]")).toHaveText("Reprioritised 1 task.");
  expect((await apiTask(page, id)).priority).toBe(7);
  // Settled, so the raised output does not jump ahead of the other specs' tasks.
  const settled = await page.request.post("/api/v1/resolve", {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
    data: { verdict: "accept", ids: [id] },
  });
  expect((await settled.json()).changed).toBe(1);
  check();
});
