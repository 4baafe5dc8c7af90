// WCAG 2 A and AA in real Chromium, light and dark: axe-core audits every reviewer and admin page
// (colour contrast included, computed from the rendered colours) and must find nothing.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { admin, reviewer, signIn } from "./helpers";

async function audit(page: Page, path: string): Promise<string[]> {
  await page.goto(path);
  await page.waitForLoadState("networkidle");
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${path}: ${v.id}: ${n.failureSummary?.split("\n").slice(1).join(" ")} @ ${n.target.join(" ")}`),
  );
}

for (const scheme of ["light", "dark"] as const) {
  test(`reviewer pages meet WCAG AA in ${scheme} mode`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await signIn(page, reviewer);
    const found: string[] = [];
    for (const path of ["/review", "/queue", "/history", "/account"]) found.push(...(await audit(page, path)));
    expect(found).toEqual([]);
  });

  test(`admin pages meet WCAG AA in ${scheme} mode`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await signIn(page, admin, "/admin");
    const found: string[] = [];
    for (const path of ["/admin", "/admin/escalations", "/admin/webhooks", "/admin/audit", "/admin/tasks", "/login"]) found.push(...(await audit(page, path)));
    expect(found).toEqual([]);
  });
}

test("the audit catches a colour pair under AA when one is planted", async ({ page }) => {
  await signIn(page, reviewer, "/queue");
  await page.evaluate(() => {
    const p = document.createElement("p");
    p.textContent = "Faint text nobody can read";
    // Set through the CSSOM: Loupe's CSP refuses `style` attributes in markup.
    p.style.color = "#b0b0b0";
    p.style.background = "#ffffff";
    document.querySelector("main")!.append(p);
  });
  const result = await new AxeBuilder({ page }).withRules(["color-contrast"]).analyze();
  expect(result.violations.map((v) => v.id)).toEqual(["color-contrast"]);
});
