// Reviewer aids on the review page: the live word diff of a correction, and the `?` list of
// every shortcut — both used from the keyboard only.
import { expect, test, watchCsp } from "./fixtures";
import { admin, apiTask, reviewer, signIn, watchErrors, live } from "./helpers";

test("correcting the summary shows a live word diff", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const diff = page.getByLabel("Your changes to the summary");
  await expect(diff).toContainText("No changes to the summary.");
  // w focuses the correction; add two words at the end, then remove the first word.
  await page.keyboard.press("w");
  await expect(page.locator("#corrected_summary")).toBeFocused();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(" Checked twice.");
  await expect(diff.locator("ins")).toHaveText("added: Checked twice.");
  await expect(diff.locator("del")).toHaveCount(0);
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("Shift+Control+ArrowRight");
  await page.keyboard.press("Delete");
  await expect(diff.locator("del")).toHaveCount(1);
  await expect(diff.locator("del .sr-only")).toHaveText("removed: ");
  // Typing the original back removes the diff.
  const original = await page.locator("#corrected_summary").evaluate((el) => (el as HTMLTextAreaElement).defaultValue);
  await page.locator("#corrected_summary").fill(original);
  await expect(diff).toContainText("No changes to the summary.");
  check();
});

test("? lists every shortcut and Esc closes the list", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(dialog).toBeHidden();
  await page.keyboard.press("?");
  await expect(dialog).toBeVisible();
  for (const what of ["rate the summary", "skip this task", "correct the summary", "show or hide this list"]) {
    await expect(dialog).toContainText(what);
  }
  await expect(dialog.getByRole("button", { name: /Close/ })).toBeFocused();
  // While the list is open, keys do not act on the task.
  await page.keyboard.press("4");
  await expect(page.locator('input[name="rating"]:checked')).toHaveCount(0);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await page.keyboard.press("4");
  await expect(page.locator('input[name="rating"][value="4"]')).toBeChecked();
  // The button under the form opens it too.
  await page.getByRole("button", { name: /Keyboard shortcuts/ }).click();
  await expect(dialog).toBeVisible();
  check();
});

test("error tags are marked with the number keys and stored with the review", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const id = await card.getAttribute("data-task-id");
  const tags = page.getByRole("group", { name: "Error tags" });
  await expect(tags.getByRole("checkbox")).toHaveCount(5);
  // 6 marks the first tag, 8 the third; 6 again unmarks and marks back.
  await page.keyboard.press("6");
  await page.keyboard.press("8");
  await expect(tags.getByRole("checkbox", { name: "hallucination" })).toBeChecked();
  await expect(tags.getByRole("checkbox", { name: "wrong emphasis" })).toBeChecked();
  await page.keyboard.press("6");
  await expect(tags.getByRole("checkbox", { name: "hallucination" })).not.toBeChecked();
  await page.keyboard.press("6");
  await page.keyboard.press("2");
  await page.keyboard.press("r");
  await page.keyboard.press("Enter");
  await expect(card).not.toHaveAttribute("data-task-id", id!);
  // The review is sent after the next task is shown, so the server may still be storing it.
  await expect.poll(async () => (await apiTask(page, id!)).reviews.length).toBeGreaterThan(0);
  const stored = await apiTask(page, id!);
  expect(stored.reviews.at(-1).error_tags).toEqual(["hallucination", "wrong emphasis"]);
  check();
});

test("g opens the review guidelines an admin wrote, and closes them", async ({ browser }) => {
  // An admin writes the guidelines on the dashboard.
  const adminContext = await browser.newContext();
  const violations = await watchCsp(adminContext);
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, admin, "/admin");
  await live(adminPage, "guidelines");
  const editor = adminPage.getByRole("form", { name: "Edit review guidelines" });
  await editor.getByLabel("Guidelines").fill("# Numbers\n\nCheck **every** figure against the source.\n- Dates too");
  await editor.getByRole("button", { name: "Save guidelines" }).click();
  await expect(adminPage.getByText("Guidelines saved.")).toBeVisible();

  const context = await browser.newContext();
  await watchCsp(context, violations);
  const page = await context.newPage();
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const panel = page.getByRole("complementary", { name: "Review guidelines" });
  await expect(panel).toBeHidden();
  await page.keyboard.press("g");
  await expect(panel).toBeVisible();
  await expect(panel.getByRole("heading", { name: "Numbers" })).toBeVisible();
  await expect(panel.locator("strong")).toHaveText("every");
  await expect(panel.getByRole("listitem")).toHaveText("Dates too");
  await page.keyboard.press("Escape");
  await expect(panel).toBeHidden();
  await page.keyboard.press("g");
  await expect(panel).toBeVisible();
  await page.keyboard.press("g");
  await expect(panel).toBeHidden();
  check();
  expect(violations, "Content Security Policy violations").toEqual([]);
});
