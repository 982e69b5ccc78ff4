// Sign-in with Kakao in headless Chromium at desktop (1366×900) and phone (390×844) widths,
// against a fake Kakao started here (authorize, token with PKCE, ID token signed RS256 with a key
// generated here, profile, access-token information, JWKS): the login page's "카카오로 시작하기"
// button in Kakao's colours, the provider's consent screen, the sign-up consents of a first
// sign-in, the account page listing Kakao, and a second sign-in that goes straight in.
// axe-core runs on the pages (zero serious or critical findings); screenshots go to
// tests/browser/screenshots/.
//
//   HANCUP_BIN=path/to/hancup node tests/browser/social.test.mjs

import { spawn } from "node:child_process";
import { createHash, generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { createServer } from "node:http";
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
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const CLIENT_ID = "hancup-browser";
const CLIENT_SECRET = "browser-secret";
const APP_ID = "777";

function findBinary() {
  const targets = [process.env.CARGO_TARGET_DIR, join(root, "target")].filter(Boolean);
  const candidates = [process.env.HANCUP_BIN]
    .concat(targets.flatMap((t) => [join(t, "release", "hancup"), join(t, "debug", "hancup")]))
    .filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no hancup binary; build it first (tried ${candidates.join(", ")})`);
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
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("hancup did not come up");
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** A fake Kakao on loopback. `person` is who signs in at its consent screen. */
function fakeKakao(port, person) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" };
  const issuer = `http://127.0.0.1:${port}/kakao`;
  const codes = new Map();
  const tokens = new Set();
  const json = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const idToken = (nonce) => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "k1" }));
    const body = b64url(JSON.stringify({ iss: issuer, aud: CLIENT_ID, sub: person.id, iat: now, exp: now + 600, nonce }));
    return `${head}.${body}.${b64url(sign("RSA-SHA256", Buffer.from(`${head}.${body}`), privateKey))}`;
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const bearer = (req.headers.authorization || "").replace(/^Bearer /, "");
    if (url.pathname === "/kakao/authorize" && req.method === "GET") {
      // The provider's own consent screen: one button that sends the person back with a code.
      const code = randomUUID();
      codes.set(code, Object.fromEntries(url.searchParams));
      const back = new URL(url.searchParams.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state"));
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="ko"><title>카카오 로그인</title><main><h1>카카오계정으로 로그인</h1>
        <a id="agree" href="${back.href.replace(/&/g, "&amp;")}">동의하고 계속하기</a></main></html>`);
      return;
    }
    if (url.pathname === "/kakao/token" && req.method === "POST") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      const pending = codes.get(form.get("code"));
      codes.delete(form.get("code"));
      const challenge = b64url(createHash("sha256").update(form.get("code_verifier") || "").digest());
      if (!pending || form.get("client_id") !== CLIENT_ID || form.get("client_secret") !== CLIENT_SECRET
          || form.get("redirect_uri") !== pending.redirect_uri || challenge !== pending.code_challenge) {
        json(res, 400, { error: "invalid_grant" });
        return;
      }
      const access = randomUUID();
      tokens.add(access);
      json(res, 200, { access_token: access, token_type: "bearer", id_token: idToken(pending.nonce) });
      return;
    }
    if (url.pathname === "/kakao/me" && tokens.has(bearer)) {
      json(res, 200, { id: Number(person.id), kakao_account: {
        profile: { nickname: person.name }, email: person.email, is_email_valid: true, is_email_verified: true } });
      return;
    }
    if (url.pathname === "/kakao/tokeninfo" && tokens.has(bearer)) {
      json(res, 200, { id: Number(person.id), app_id: Number(APP_ID), expires_in: 3600 });
      return;
    }
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === "/kakao/jwks") {
      json(res, 200, { keys: [jwk] });
      return;
    }
    json(res, 401, { msg: "unknown" });
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

async function axe(page, what) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => (await window.axe.run()).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
  assert.deepEqual(found, [], `axe on ${what}`);
}

async function journey(browser, base, person, { width, height, tag }) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "ko-KR" });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  let shot = 0;
  const check = async (name) => {
    shot += 1;
    await page.screenshot({ path: join(shots, `social-${tag}-${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
  };

  console.log(`· ${tag}: the login page offers Kakao in its colours`);
  await page.goto(`${base}/accounts/login`);
  const kakao = page.getByRole("button", { name: "카카오로 시작하기" });
  await kakao.waitFor();
  const colours = await kakao.evaluate((el) => {
    const s = getComputedStyle(el);
    return { bg: s.backgroundColor, fg: s.color };
  });
  assert.equal(colours.bg, "rgb(254, 229, 0)");
  assert.equal(colours.fg, "rgba(0, 0, 0, 0.85)");
  const box = await kakao.boundingBox();
  assert.ok(box.width <= width && box.height >= 44, `fits and is tappable at ${tag}`);
  await axe(page, `${tag} login`);
  await check("login");

  console.log(`· ${tag}: Kakao's consent screen, then the sign-up consents`);
  await Promise.all([page.waitForURL(/\/kakao\/authorize/), kakao.click()]);
  await check("kakao-consent");
  await Promise.all([page.waitForURL(/\/accounts\/social\/complete$/), page.click("#agree")]);
  await page.getByText(person.email).waitFor();
  await axe(page, `${tag} complete`);
  await check("complete");
  await page.locator("label[for=accept_terms], input[name=accept_terms]").first().check();
  await page.locator("input[name=accept_privacy]").check();
  await page.locator("input[name=age_14_or_older]").check();
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole("button", { name: "동의하고 시작하기" }).click()]);
  await check("signed-up");

  console.log(`· ${tag}: the account page lists Kakao`);
  await page.goto(`${base}/accounts/me`);
  await page.locator(".linked-providers__item[data-provider=kakao]").waitFor();
  await axe(page, `${tag} account`);
  await check("account");

  console.log(`· ${tag}: log out, and Kakao logs straight back in`);
  await page.goto(`${base}/accounts/logout`);
  await Promise.all([page.waitForURL(`${base}/`), page.click("main form button[type=submit]")]);
  await page.goto(`${base}/accounts/login`);
  await Promise.all([page.waitForURL(/\/kakao\/authorize/), page.getByRole("button", { name: "카카오로 시작하기" }).click()]);
  await Promise.all([page.waitForURL(`${base}/`), page.click("#agree")]);
  await page.goto(`${base}/accounts/me`);
  await page.getByText(person.email).first().waitFor();
  await check("back-in");

  assert.deepEqual(problems, [], `no console errors at ${tag}`);
  await context.close();
}

async function main() {
  const started = Date.now();
  const bin = findBinary();
  const dir = mkdtempSync(join(tmpdir(), "hancup-social-"));
  mkdirSync(shots, { recursive: true });
  const [port, kakaoPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const k = `http://127.0.0.1:${kakaoPort}/kakao`;
  const env = {
    ...process.env,
    HANCUP_DATABASE__PATH: join(dir, "hancup.db"),
    HANCUP_SERVER__BIND: `127.0.0.1:${port}`,
    HANCUP_LOG__LEVEL: "warn",
    HANCUP_AUTH_PROVIDERS_KAKAO__ENABLED: "true",
    HANCUP_AUTH_PROVIDERS_KAKAO__CLIENT_ID: CLIENT_ID,
    HANCUP_AUTH_PROVIDERS_KAKAO__CLIENT_SECRET: CLIENT_SECRET,
    HANCUP_AUTH_PROVIDERS_KAKAO__APP_ID: APP_ID,
    HANCUP_AUTH_PROVIDERS_KAKAO__AUTHORIZE_URL: `${k}/authorize`,
    HANCUP_AUTH_PROVIDERS_KAKAO__TOKEN_URL: `${k}/token`,
    HANCUP_AUTH_PROVIDERS_KAKAO__USERINFO_URL: `${k}/me`,
    HANCUP_AUTH_PROVIDERS_KAKAO__TOKENINFO_URL: `${k}/tokeninfo`,
    HANCUP_AUTH_PROVIDERS_KAKAO__JWKS_URL: `${k}/jwks`,
    HANCUP_AUTH_PROVIDERS_KAKAO__ISSUER: k,
  };
  const people = {
    desktop: { id: "4100001", email: "desk@kakao.example", name: "데스크톱" },
    phone: { id: "4100002", email: "phone@kakao.example", name: "휴대폰" },
  };
  const server = spawn(bin, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
  let browser;
  const fakes = [];
  try {
    await waitUp(base, server);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    for (const v of [{ width: 1366, height: 900, tag: "desktop" }, { width: 390, height: 844, tag: "phone" }]) {
      const fake = await fakeKakao(kakaoPort, people[v.tag]);
      fakes.push(fake);
      await journey(browser, base, people[v.tag], v);
      // hancup keeps a pooled keep-alive connection to the provider; close it with the server
      // instead of waiting for it to idle out (that took minutes, now and then).
      fake.closeAllConnections();
      await new Promise((ok) => fake.close(ok));
    }
    console.log(`social sign-in journeys passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (browser) await browser.close();
    for (const f of fakes) f.close();
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
