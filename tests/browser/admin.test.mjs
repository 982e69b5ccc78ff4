// Real-browser test of the hancup admin in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core). It starts the hancup binary itself on a free port with a temp
// database, creates a superuser non-interactively, and walks an operator's day: log in, add a
// course with three inline lessons (first seeing a validation error), search and filter, run a
// bulk action, delete with the cascade preview, read the history, open the certificates. Any
// console error (a CSP violation, a script error) fails the run.
//
//   HANCUP_BIN=path/to/hancup node tests/browser/admin.test.mjs
//
// Without HANCUP_BIN it looks for target/{release,debug}/hancup (or under $CARGO_TARGET_DIR).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const PASSWORD = "창업은 한 컵의 커피에서 2026";
const shots = join(here, "screenshots");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function findBinary() {
  const targets = [process.env.CARGO_TARGET_DIR, join(root, "target")].filter(Boolean);
  const candidates = [process.env.HANCUP_BIN]
    .concat(targets.flatMap((t) => [join(t, "release", "hancup"), join(t, "debug", "hancup")]))
    .filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no hancup binary; build it first (tried ${candidates.join(", ")})`);
  }
  return found;
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitUp(base, server) {
  for (let i = 0; i < 100; i += 1) {
    if (server.exitCode !== null) throw new Error("hancup exited early");
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("hancup did not come up");
}

const step = (name) => console.log(`· ${name}`);

async function main() {
  const started = Date.now();
  const bin = findBinary();
  const dir = mkdtempSync(join(tmpdir(), "hancup-browser-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    HANCUP_DATABASE__PATH: join(dir, "hancup.db"),
    HANCUP_MEDIA__DIR: join(dir, "media"),
    HANCUP_SERVER__BIND: `127.0.0.1:${port}`,
    HANCUP_LOG__LEVEL: "warn",
    HANCUP_SUPERUSER_PASSWORD: PASSWORD,
    // The superuser's second factor has its own tests (tests/api/admin_mfa.rs); here the admin
    // is entered with the password alone.
    HANCUP_AUTH__REQUIRE_MFA_FOR: "none",
  };
  // 200 courses: the course filters must stay usable past any cut-off (issue 18).
  execFileSync(bin, ["seed", "--courses", "200", "--users", "40", "--enrollments", "300"], { env, stdio: "ignore" });
  mkdirSync(shots, { recursive: true });
  execFileSync(bin, ["createsuperuser", "--email", "admin@hancup.kr", "--display-name", "운영자", "--no-input"], { env, stdio: "ignore" });
  const server = spawn(bin, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
  let browser;
  try {
    await waitUp(base, server);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    const context = await browser.newContext({ locale: "ko-KR", viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    // Failed loads are judged by their response below (a form with errors answers 400 on purpose).
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
    });
    const failed = [];
    page.on("response", (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
    page.on("pageerror", (e) => problems.push(String(e)));
    page.setDefaultTimeout(10000);

    let shot = 0;
    /** axe-core in the light and the dark theme (zero serious or critical), a screenshot of each. */
    const audit = async (name) => {
      await page.waitForLoadState("load");
      for (const scheme of ["light", "dark"]) {
        await page.emulateMedia({ colorScheme: scheme });
        // Runtime evaluation, not a <script> tag: the admin's CSP allows no inline script.
        await page.evaluate(AXE);
        const found = await page.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ["violations"] });
          return r.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(", ")}`);
        });
        assert.deepEqual(found, [], `axe on ${name} (${scheme}) at ${page.url()}`);
        shot += 1;
        await page.screenshot({ path: join(shots, `admin-${String(shot).padStart(2, "0")}-${name}-${scheme}.png`) });
      }
      await page.emulateMedia({ colorScheme: "light" });
    };

    step("log in");
    await page.goto(`${base}/admin`);
    await audit("login");
    assert.match(page.url(), /\/admin\/login\?next=/);
    await page.fill("#id_email", "admin@hancup.kr");
    await page.fill("#id_password", PASSWORD);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click("button[type=submit]")]);
    await page.getByRole("heading", { name: "대시보드" }).waitFor();

    step("the course filter finds a course starting with ㅎ among 200");
    await page.goto(`${base}/admin/course?o=-title`);
    const lastTitle = (await page.locator("table.result-list tbody th[scope=row] a").first().textContent()).trim();
    assert.ok(lastTitle.charCodeAt(0) >= 0xd558 && lastTitle.charCodeAt(0) <= 0xd7a3, `a ㅎ title: ${lastTitle}`);
    await page.goto(`${base}/admin/enrollment`);
    assert.equal(await page.locator(`[data-filter-choices=course] a:text-is("${lastTitle}")`).count(), 0, "not in the first choices");
    await page.fill("#filter-search-course", lastTitle.split(" ")[0]);
    const match = page.locator("[data-filter-choices=course] a", { hasText: lastTitle }).first();
    await match.waitFor();
    await Promise.all([page.waitForURL(/[?&]course=\d+/), match.click()]);
    await page.locator("[data-filter-choices=course] a[aria-current=true]", { hasText: lastTitle }).waitFor();
    await audit("filtered-list");

    step("an untouched save writes no history");
    await page.goto(`${base}/admin/course`);
    await page.locator("table.result-list tbody th[scope=row] a").first().click();
    await page.locator("#change-form").waitFor();
    const untouchedUrl = page.url();
    await audit("change-form");
    await page.goto(`${untouchedUrl}/history`);
    const before = await page.locator("table.history tbody tr").count();
    await page.goto(untouchedUrl);
    await Promise.all([page.waitForNavigation(), page.click("button[name=_continue]")]);
    await page.locator(".alert--success").waitFor();
    await page.goto(`${untouchedUrl}/history`);
    assert.equal(await page.locator("table.history tbody tr").count(), before, "no entry for an untouched save");

    step("revert a change from the history: a preview, then a normal save");
    await page.goto(untouchedUrl);
    const original = await page.inputValue("#id_title");
    await page.fill("#id_title", `${original} (잘못 고침)`);
    await Promise.all([page.waitForNavigation(), page.click("button[name=_continue]")]);
    await page.goto(`${untouchedUrl}/history`);
    await Promise.all([page.waitForURL(/\/revert$/), page.click("a.revertlink >> nth=0")]);
    await page.locator("table.revert ins", { hasText: original }).waitFor();
    await audit("revert");
    await Promise.all([page.waitForURL(untouchedUrl), page.click("button:text('되돌리기')")]);
    await page.locator(".alert--success", { hasText: "되돌렸습니다" }).waitFor();
    assert.equal(await page.inputValue("#id_title"), original, "the title is back");

    step("add a course with three inline lessons; see a validation error first");
    await page.goto(`${base}/admin/course/add`);
    await page.fill("#id_title", "브라우저로 만든 강좌");
    await page.fill("#id_slug", "Not A Slug");
    await page.fill("#id_description", "## 목표\n\n**브라우저** 테스트");
    await page.locator(".markdown-preview strong", { hasText: "브라우저" }).waitFor();
    await page.selectOption("#id_category_id", { index: 1 });
    await page.selectOption("#id_level", "beginner");
    await page.fill("#id_instructor_id_search", "운영자");
    await page.locator(".autocomplete__results button").first().click();
    assert.notEqual(await page.inputValue("#id_instructor_id"), "");
    await page.selectOption("#id_status", "draft");
    // Lengths typed as people write them: seconds, Korean units, a clock.
    const lessons = [["문제 정의", "600"], ["고객 인터뷰", "15분"], ["가치 제안", "20:00"]];
    for (const [i, [title, secs]] of lessons.entries()) {
      await page.fill(`#id_lesson-${i}-title`, title);
      await page.fill(`#id_lesson-${i}-duration_seconds`, secs);
    }
    await page.click("button[name=_continue]");
    await page.locator(".field--error .errorlist").first().waitFor();
    assert.equal(await page.inputValue("#id_title"), "브라우저로 만든 강좌", "input kept");
    assert.equal(await page.inputValue("#id_lesson-2-title"), "가치 제안", "inline input kept");
    await page.fill("#id_slug", "browser-course");
    await Promise.all([page.waitForURL(/\/admin\/course\/\d+$/), page.click("button[name=_continue]")]);
    const courseUrl = page.url();
    await page.locator(".alert--success").waitFor();
    assert.equal(await page.locator("input[name$='-id'][name^='lesson-']").count(), 3, "three lessons saved");
    assert.deepEqual(
      [await page.inputValue("#id_lesson-0-duration_seconds"), await page.inputValue("#id_lesson-1-duration_seconds"),
        await page.inputValue("#id_lesson-2-duration_seconds")],
      ["10:00", "15:00", "20:00"], "lengths shown as a clock");

    step("the course form: sections, and the save bar in reach at the top of a long form");
    for (const legend of ["기본 정보", "분류와 강사", "공개"]) {
      await page.locator("legend.form-section__title", { hasText: legend }).waitFor();
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    const formHeight = await page.locator("#change-form").evaluate((f) => f.getBoundingClientRect().height);
    const view = page.viewportSize();
    assert.ok(formHeight > view.height, `the form is longer than the window (${formHeight}px)`);
    const bar = await page.locator(".submit-row").boundingBox();
    assert.ok(bar && bar.y >= 0 && bar.y + bar.height <= view.height + 1, `save bar in view: ${JSON.stringify(bar)}`);
    assert.equal(await page.locator(".submit-row").evaluate((e) => getComputedStyle(e).position), "sticky");

    step("reorder the lessons and add one with the JavaScript controls");
    await page.locator("[data-inline-rows] tr").first().locator("[data-move=down]").click();
    await page.click("[data-inline-add]");
    const rows = page.locator("[data-inline-rows] tr");
    await page.fill(`#id_lesson-${(await rows.count()) - 1}-title`, "새로 추가한 레슨");
    await Promise.all([page.waitForNavigation(), page.click("button[name=_continue]")]);
    await page.locator(".alert--success").waitFor();
    assert.equal(await page.inputValue("#id_lesson-0-title"), "고객 인터뷰", "moved down");
    assert.equal(await page.locator("input[name$='-id'][name^='lesson-']").count(), 4);

    step("search and filter the change list");
    await page.goto(`${base}/admin/course`);
    await page.fill("#searchbar", "브라우저");
    await Promise.all([page.waitForURL(/q=/), page.click(".searchbar button")]);
    await page.getByRole("link", { name: "브라우저로 만든 강좌" }).waitFor();
    await Promise.all([page.waitForURL(/status=draft/), page.click(".changelist__filter a:text-is('초안')")]);
    assert.match(page.url(), /q=/, "the search is kept by the filter");
    await page.getByRole("link", { name: "브라우저로 만든 강좌" }).waitFor();

    step("run a bulk action with its confirmation page");
    await page.check("#select-all");
    await page.selectOption("#action-select", "publish");
    await page.click(".actions button");
    await page.getByText("작업을 실행할까요").waitFor();
    await Promise.all([page.waitForURL(/\/admin\/course/), page.click("button:text('예, 실행합니다')")]);
    await page.locator(".alert--success").waitFor();
    await page.goto(`${base}/admin/course?status=published&q=%EB%B8%8C%EB%9D%BC%EC%9A%B0%EC%A0%80`);
    await page.getByRole("link", { name: "브라우저로 만든 강좌" }).waitFor();

    step("delete with the cascade preview");
    await page.goto(courseUrl);
    await page.click(".deletelink");
    await page.getByRole("heading", { name: "삭제 확인" }).waitFor();
    await page.locator(".related", { hasText: "새로 추가한 레슨" }).waitFor();
    await Promise.all([page.waitForURL(`${base}/admin/course`), page.click("button:text('예, 실행합니다')")]);
    assert.equal(await page.getByRole("link", { name: "브라우저로 만든 강좌" }).count(), 0);

    step("open the history");
    await page.goto(`${courseUrl}/history`);
    for (const what of ["추가", "변경", "삭제", "초안"]) {
      await page.locator("table.history", { hasText: what }).waitFor();
    }
    await page.goto(`${base}/admin/logentry?q=%EB%B8%8C%EB%9D%BC%EC%9A%B0%EC%A0%80`);
    await page.locator("table.result-list").waitFor();

    step("open the certificates list: no add button, completion issues them");
    await page.goto(`${base}/admin/certificate`);
    await page.getByRole("heading", { name: "수료증" }).waitFor();
    await page.locator(".result-count").waitFor();
    assert.equal(await page.locator(".page-head .btn--primary").count(), 0);

    step("import categories from CSV: a dry run first, then the import");
    await page.goto(`${base}/admin/category`);
    await Promise.all([page.waitForURL(/\/import$/), page.click("a:text('CSV 가져오기')")]);
    await page.setInputFiles("#import_file", {
      name: "categories.csv", mimeType: "text/csv",
      buffer: Buffer.from("이름,영문 이름,슬러그,순서\n브라우저 분야,Browser field,browser-field,99\n", "utf8"),
    });
    await Promise.all([page.waitForLoadState("load"), page.click("button:text('미리 보기')")]);
    await page.locator(".import-counts", { hasText: "추가 1건" }).waitFor();
    await audit("import-preview");
    await Promise.all([page.waitForURL(`${base}/admin/category`), page.click("button:text('가져오기 실행')")]);
    await page.locator(".alert--success", { hasText: "추가 1건" }).waitFor();
    await page.getByRole("link", { name: "브라우저 분야" }).waitFor();

    step("the dashboard's progress charts read without JS: a description and a table behind a toggle");
    await page.goto(`${base}/admin`);
    await page.locator("svg[aria-labelledby='funnel-svg-title funnel-svg-desc'] rect").first().waitFor();
    await page.locator("#dropoff-title").waitFor();
    assert.ok((await page.locator("#funnel-svg-desc").textContent()).includes("수료"));
    await page.locator("section[aria-labelledby=funnel-title] summary").click();
    await page.locator("table[data-chart=funnel] tbody tr").first().waitFor({ state: "visible" });
    const picked = page.locator(".chart__courses a").nth(1);
    const pickedTitle = (await picked.textContent()).trim();
    await Promise.all([page.waitForURL(/course=\d+/), picked.click()]);
    assert.ok((await page.locator("#dropoff-title").textContent()).startsWith(pickedTitle), "the course picked");

    step("axe on every admin page, light and dark");
    await page.goto(`${base}/admin`);
    await audit("dashboard");
    const lists = await page.locator(".admin-nav a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const list of lists) {
      const key = list.split("/").pop();
      await page.goto(`${base}${list}`);
      await audit(`${key}-list`);
      const first = page.locator("table.result-list tbody th[scope=row] a").first();
      if (await first.count()) {
        const href = await first.getAttribute("href");
        await page.goto(`${base}${href}`);
        await audit(`${key}-change`);
        await page.goto(`${base}${href}/history`);
        await audit(`${key}-history`);
        if (key !== "logentry" && key !== "certificate") {
          await page.goto(`${base}${href}/delete`);
          await audit(`${key}-delete`);
        }
        if (key === "user") {
          await page.goto(`${base}${href}/password`);
          await audit("user-password");
        }
      }
      await page.goto(`${base}${list}`);
      if (await page.locator(".page-head .btn--primary").count()) {
        await page.goto(`${base}${list}/add`);
        await audit(`${key}-add`);
      }
    }
    await page.goto(`${base}/admin/course`);
    await page.locator(".row-select").first().check();
    await page.selectOption("#action-select", { index: 1 });
    await page.click(".actions button");
    await page.getByText("실행할까요").waitFor();
    await audit("action-confirm");

    step("phone width: the change list scrolls inside its box, no cell narrower than two letters");
    await page.setViewportSize({ width: 390, height: 844 });
    for (const list of ["/admin/enrollment", "/admin/course", "/admin/user", "/admin/logentry", "/admin/question"]) {
      await page.goto(`${base}${list}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest(".table-wrap")))
        .map((e) => `${e.tagName}.${e.className}: ${e.textContent.trim().slice(0, 40)}`).slice(0, 5));
      assert.ok(overflow <= 1, `${list}: page overflows by ${overflow}px: ${wide.join(" | ")}`);
      const narrow = await page.evaluate(() => {
        const out = [];
        const pen = document.createElement("canvas").getContext("2d");
        document.querySelectorAll(".result-list th, .result-list td").forEach((c) => {
          if (c.classList.contains("action-checkbox") || !c.textContent.trim()) return;
          const st = getComputedStyle(c);
          const inner = c.getBoundingClientRect().width - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
          pen.font = st.font;
          const two = pen.measureText("가나").width;
          if (inner < two - 0.5) out.push(`${c.textContent.trim()} (${inner.toFixed(1)} < ${two.toFixed(1)}px)`);
        });
        return out;
      });
      assert.deepEqual(narrow, [], `${list}: cells narrower than two Korean letters`);
      shot += 1;
      await page.screenshot({ path: join(shots, `admin-${String(shot).padStart(2, "0")}-phone${list.replaceAll("/", "-")}.png`) });
    }

    assert.deepEqual(problems, [], "no console errors (CSP violations, script errors)");
    // A delete preview of a protected row answers 409 on purpose (the category has courses).
    const unexpected = failed.filter((f) => !/^409 GET .*\/delete$/.test(f));
    assert.deepEqual(unexpected, [`400 POST ${base}/admin/course/add`], "only the invalid form answered an error");
    console.log(`browser tests passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (browser) await browser.close();
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
