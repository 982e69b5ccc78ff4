// A learner's day in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// at desktop (1366×900) and phone (390×844) widths: sign up, find a course by a Korean word,
// enrol, watch (the CSP verdict: no `securitypolicyviolation` event and no CSP console error on
// lessons with YouTube and Vimeo players; a lesson whose video host is outside the allow-list
// has no iframe), complete lessons, lose the session mid-lesson and carry on after logging in,
// finish (the completion card), open the certificate, leave and re-enrol with progress intact.
// axe-core runs on every page (zero serious or critical findings), every console error fails
// the run except network failures to the video hosts (unreachable here, by design), and each
// page is photographed to tests/browser/screenshots/ (CI keeps the folder).
//
//   HANCUP_BIN=path/to/hancup node tests/browser/journeys.test.mjs
//
// Without HANCUP_BIN it looks for target/{release,debug}/hancup (or under $CARGO_TARGET_DIR).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import net from "node:net";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const shots = join(here, "screenshots");
const PASSWORD = "창업은 한 컵의 커피에서 2026";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
// The word the learner searches for; only the course made below has it.
const WORD = "로스터리";
const SLUG = "roastery-startup";
const VIDEO_HOSTS = ["youtube-nocookie.com", "youtube.com", "vimeo.com", "evil.example"];

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

/** The operator authors the course the learner will take, through the API. */
async function authorCourse(base) {
  const api = async (method, path, token, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    assert.ok(r.status < 300, `${method} ${path} → ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const staff = await api("POST", "/api/v1/auth/login", null, { email: "admin@hancup.kr", password: PASSWORD });
  const category = (await api("GET", "/api/v1/categories"))[0].slug;
  await api("POST", "/api/v1/courses", staff.token, {
    slug: SLUG, title: `동네 ${WORD} 창업 실전`, summary: "원두 한 봉지에서 시작하는 작은 가게 이야기",
    description: "## 이 강의에서\n\n작은 로스터리를 여는 과정을 따라갑니다.", category, level: "beginner",
  });
  const lessons = [
    { title: "가게 자리 고르기", section: "준비", video_url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ", is_preview: true, duration_seconds: 420 },
    { title: "원두와 로스팅 기계", section: "준비", video_url: "https://vimeo.com/76979871", duration_seconds: 900 },
    { title: "첫 손님 맞이", section: "운영", video_url: "https://evil.example/video.mp4", duration_seconds: 600 },
    { title: "한 달 결산", section: "운영", body: "숫자로 돌아보기", duration_seconds: 300 },
  ];
  for (const lesson of lessons) {
    await api("POST", `/api/v1/courses/${SLUG}/lessons`, staff.token, { body: "본문", ...lesson });
  }
  await api("PATCH", `/api/v1/courses/${SLUG}`, staff.token, { status: "published" });
  return lessons.length;
}

/** Asks for the API docs' files once so the server compresses them (it does so in the
 * background after the first client that accepts gzip), then waits until all come compressed. */
async function warmDocs(base) {
  const page = await (await fetch(`${base}/api/docs`)).text();
  const urls = ["/api/docs", "/api/openapi.json", ...(page.match(/\/api\/docs\/[0-9a-f]+\/[\w.-]+/g) || [])];
  for (const url of urls) {
    for (let i = 0; ; i += 1) {
      const r = await fetch(base + url, { headers: { "accept-encoding": "gzip" } });
      await r.arrayBuffer();
      if (r.headers.get("content-encoding") === "gzip") break;
      assert.ok(i < 300, `${url} never came compressed`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
}

/** One learner's day at one viewport. */
async function journey(browser, base, { width, height, tag }) {
  const context = await browser.newContext({ locale: "ko-KR", viewport: { width, height } });
  // Collected by the page itself: CSP violations the browser reports.
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  const videoHost = (text) => VIDEO_HOSTS.some((h) => text.includes(h));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    // Network failures to the video hosts are expected (no network here); a navigation that
    // answers an error status on purpose is judged by its own assertion.
    if (text.startsWith("Failed to load resource")) return;
    if (/net::ERR_/.test(text) && videoHost(text)) return;
    problems.push(text);
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("requestfailed", (r) => {
    if (!videoHost(r.url())) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });

  let shot = 0;
  /** axe-core on the page (zero serious or critical), the CSP verdict, and a screenshot. */
  const check = async (name) => {
    await page.waitForLoadState("load");
    // Runtime evaluation, not a <script> tag: the page's CSP allows no inline script.
    await page.evaluate(AXE);
    const found = await page.evaluate(async () => {
      // label-content-name-mismatch is experimental (off by default); the issue named it.
      const r = await window.axe.run(document, {
        resultTypes: ["violations"],
        rules: { "label-content-name-mismatch": { enabled: true } },
      });
      return r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    });
    assert.deepEqual(found, [], `axe on ${name} at ${tag}`);
    const csp = await page.evaluate(() => window.__csp);
    assert.deepEqual(csp, [], `CSP violations on ${name} at ${tag}`);
    shot += 1;
    await page.screenshot({ path: join(shots, `${tag}-${String(shot).padStart(2, "0")}-${name}.png`), fullPage: false });
  };
  const email = `learner-${tag}@example.kr`;

  step(`${tag}: the home page's first screen shows courses`);
  await page.goto(`${base}/`);
  const firstCard = await page.locator(".card-grid__item").first().boundingBox();
  assert.ok(firstCard && firstCard.y < height * 0.8, `a course card on the first screen (at ${firstCard?.y})`);
  assert.equal(await page.locator(".main-nav a", { hasText: "API 문서" }).count(), 0, "API docs left the main menu");
  await page.locator(".site-footer a", { hasText: "API 문서" }).waitFor();
  await check("home");

  step(`${tag}: sign up`);
  await page.goto(`${base}/accounts/signup`);
  await page.fill("#id_email", email);
  await page.fill("#id_display_name", "박하늘");
  await page.fill("#id_password", PASSWORD);
  await page.fill("#id_password2", PASSWORD);
  await page.check("#id_accept_terms");
  await page.check("#id_accept_privacy");
  await page.check("#id_age_14_or_older");
  await check("signup");
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/accounts/signup")), page.click("form.form button[type=submit]")]);

  step(`${tag}: find a course by a Korean word`);
  await page.goto(`${base}/courses`);
  await check("catalog");
  step(`${tag}: sorting applies at once, without the apply button`);
  if (width < 640) {
    assert.equal(await page.locator("#filter-search").isVisible(), false, "filters fold away on a phone");
    await page.click(".filters-fold__toggle");
  }
  await Promise.all([page.waitForURL(/ordering=-rating/), page.selectOption("#filter-ordering", "-rating")]);
  assert.equal(await page.inputValue("#filter-ordering"), "-rating");
  if (width < 640) await page.click(".filters-fold__toggle");
  await page.fill("#filter-search", WORD);
  await Promise.all([page.waitForURL(/search=/), page.press("#filter-search", "Enter")]);
  const result = page.getByRole("link", { name: new RegExp(WORD) }).first();
  await result.waitFor();
  await check("search-results");
  await Promise.all([page.waitForURL(new RegExp(`/courses/${SLUG}$`)), result.click()]);
  await check("course");
  step(`${tag}: the curriculum reads in parts; on a wide screen the enrol card stays in view`);
  assert.deepEqual(await page.locator(".curriculum-part__title").allTextContents(), ["준비", "운영"]);
  assert.equal(await page.locator(".curriculum-part .lesson").count(), 4);
  if (width >= 900) {
    await page.evaluate(() => document.getElementById("reviews-title").scrollIntoView({ block: "start" }));
    assert.ok(await page.evaluate(() => window.scrollY) > 300, "the page scrolled past the hero");
    const card = await page.locator(".enroll-card").boundingBox();
    assert.ok(card.y >= 0 && card.y + card.height <= height, `enrol card in view after scrolling: ${JSON.stringify(card)}`);
    await page.evaluate(() => window.scrollTo(0, 0));
  }

  step(`${tag}: enrol`);
  await Promise.all([page.waitForURL(new RegExp(`/courses/${SLUG}$`)), page.click(".enroll-card__form button")]);
  await page.locator(".flash .alert--success").waitFor();
  await check("enrolled");

  const lesson = (n) => `${base}/courses/${SLUG}/lessons/${n}`;
  const complete = async (n, then) => {
    await Promise.all([page.waitForURL(then), page.click(".lesson-complete button[type=submit]")]);
    assert.ok(page.url().length > 0, `completed lesson ${n}`);
  };

  step(`${tag}: watch a YouTube lesson (the CSP allows exactly its player)`);
  const first = await page.goto(lesson(1));
  const csp = first.headers()["content-security-policy"];
  assert.match(csp, /frame-src https:\/\/www\.youtube-nocookie\.com https:\/\/player\.vimeo\.com(;|$)/);
  const frame = page.locator("iframe.video-frame__player");
  assert.equal(await frame.count(), 1);
  assert.match(await frame.getAttribute("src"), /^https:\/\/www\.youtube-nocookie\.com\/embed\//);
  assert.ok((await frame.getAttribute("title")).length > 0, "the player has a title");
  assert.equal(await frame.getAttribute("loading"), "lazy");
  const box = await page.locator(".video-frame").boundingBox();
  assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.02, `16:9 box, got ${box.width}×${box.height}`);
  await page.getByRole("link", { name: "YouTube에서 보기" }).waitFor();
  await frame.scrollIntoViewIfNeeded();
  await page.waitForTimeout(300); // let a lazy frame start loading, so the CSP decides on it
  await check("lesson-youtube");
  await complete(1, lesson(2));

  step(`${tag}: watch a Vimeo lesson`);
  assert.match(await page.locator("iframe.video-frame__player").getAttribute("src"), /^https:\/\/player\.vimeo\.com\/video\//);
  await page.locator("iframe.video-frame__player").scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await check("lesson-vimeo");
  await complete(2, lesson(3));

  step(`${tag}: a host outside the allow-list is a link, never a frame`);
  assert.equal(await page.locator("iframe").count(), 0);
  await page.locator(".video-link a[href='https://evil.example/video.mp4']").waitFor();
  await check("lesson-link");

  step(`${tag}: lose the session mid-lesson and carry on`);
  await context.clearCookies({ name: "hancup_session" });
  await Promise.all([page.waitForURL(/\/accounts\/login\?/), page.click(".lesson-complete button[type=submit]")]);
  const login = new URL(page.url());
  assert.equal(login.searchParams.get("next"), `/courses/${SLUG}/lessons/3`, "back to the lesson, not the POST target");
  await page.getByText("로그인이 필요합니다").waitFor();
  await check("login-required");
  await page.fill("#id_email", email);
  await page.fill("#id_password", PASSWORD);
  await Promise.all([page.waitForURL(lesson(3)), page.click("form.form button[type=submit]")]);
  await complete(3, lesson(4));

  step(`${tag}: finish and feel it`);
  await check("last-lesson");
  await Promise.all([page.waitForURL(new RegExp(`/courses/${SLUG}$`)), page.click(".lesson-complete button[type=submit]")]);
  const card = page.locator("#completed");
  assert.ok((await card.boundingBox()).y < height, "the completion card is on the first screen");
  await card.getByRole("link", { name: "수료증 보기" }).waitFor();
  await card.getByRole("link", { name: "수강평 남기기" }).waitFor();
  assert.equal(await card.locator(".completion-card__next a").count(), 1, "one suggested next course");
  const flashLink = page.locator(".flash__link");
  assert.match(await flashLink.getAttribute("href"), /^\/certificates\//, "the flash links the certificate");
  await check("completed");

  step(`${tag}: open the certificate (Korean date)`);
  await Promise.all([page.waitForURL(/\/certificates\//), card.getByRole("link", { name: "수료증 보기" }).click()]);
  const issued = await page.locator("time").first().textContent();
  assert.match(issued.trim(), /^\d{4}\.\d{2}\.\d{2}$/, `Korean style date, got ${issued}`);
  await check("certificate");

  step(`${tag}: leave, then re-enrol with progress intact`);
  await page.goto(`${base}/courses/${SLUG}`);
  await page.click(".enroll-card__leave summary");
  await check("leave-confirm");
  await Promise.all([page.waitForURL(new RegExp(`/courses/${SLUG}$`)), page.click(".enroll-card__leave button[type=submit]")]);
  await page.locator(".enroll-card__form").waitFor();
  await check("left");
  await page.goto(`${base}/me/courses`);
  assert.equal(await page.getByRole("link", { name: new RegExp(WORD) }).count(), 0, "hidden from My courses");
  await check("my-courses-after-leaving");
  await page.goto(`${base}/courses/${SLUG}`);
  await Promise.all([page.waitForURL(new RegExp(`/courses/${SLUG}$`)), page.click(".enroll-card__form button")]);
  await page.locator(".enroll-card").getByText("100%").first().waitFor();
  await page.locator(".enroll-card").getByRole("link", { name: "수료증 보기" }).waitFor();
  await check("re-enrolled");
  await page.goto(`${base}/me/courses`);
  await page.getByRole("link", { name: new RegExp(WORD) }).first().waitFor();
  await check("my-courses");

  step(`${tag}: a deleted progress needs a confirmation that says what goes`);
  await page.goto(`${base}/courses/${SLUG}/progress/delete`);
  await page.getByText("진도 기록 4개가 삭제됩니다").waitFor();
  await check("progress-delete-confirm");

  step(`${tag}: error pages and logout by GET are styled pages`);
  const wrong = await page.goto(`${base}/courses/${SLUG}/lessons/1/complete`);
  assert.equal(wrong.status(), 405);
  await page.locator(".error-page").waitFor();
  await check("405");
  const missing = await page.goto(`${base}/courses/${SLUG}/nothing-here`);
  assert.equal(missing.status(), 404);
  await check("404");
  await page.goto(`${base}/accounts/logout`);
  await check("logout-confirm");
  await Promise.all([page.waitForURL(`${base}/`), page.click("main form button[type=submit]")]);

  step(`${tag}: the API docs load from versioned, compressed files and link back to the site`);
  const docs = await page.goto(`${base}/api/docs`);
  assert.equal(docs.headers()["content-encoding"], "gzip", "compressed (by now the background job is done)");
  await page.locator(".swagger-ui .info .title").waitFor({ timeout: 20000 });
  await page.locator("a.docs-home[href='/']").waitFor();
  shot += 1;
  await page.screenshot({ path: join(shots, `${tag}-${String(shot).padStart(2, "0")}-api-docs.png`) });

  assert.deepEqual(problems, [], `no console errors at ${tag}`);
  await context.close();
}

async function main() {
  const started = Date.now();
  const bin = findBinary();
  const dir = mkdtempSync(join(tmpdir(), "hancup-journeys-"));
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    HANCUP_DATABASE__PATH: join(dir, "hancup.db"),
    HANCUP_MEDIA__DIR: join(dir, "media"),
    HANCUP_SERVER__BIND: `127.0.0.1:${port}`,
    HANCUP_LOG__LEVEL: "warn",
    HANCUP_SUPERUSER_PASSWORD: PASSWORD,
  };
  execFileSync(bin, ["seed", "--courses", "12", "--users", "20", "--enrollments", "60"], { env, stdio: "ignore" });
  execFileSync(bin, ["createsuperuser", "--email", "admin@hancup.kr", "--display-name", "운영자", "--no-input"], { env, stdio: "ignore" });
  const server = spawn(bin, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
  let browser;
  try {
    await waitUp(base, server);
    await authorCourse(base);
    await warmDocs(base);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    await journey(browser, base, { width: 1366, height: 900, tag: "desktop" });
    await journey(browser, base, { width: 390, height: 844, tag: "phone" });
    console.log(`journeys passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots}`);
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
