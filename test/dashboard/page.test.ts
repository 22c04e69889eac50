// The dashboard in a real browser: headless Chromium (Debian's package) driven by playwright-core,
// against gateways in front of emulated upstreams. It checks what a person sees: every provider,
// one turning unhealthy within 2 s of its upstream going down, the failover in the event feed and
// the traffic chart, the probe button bringing it back; that a gateway with keys asks for one
// and refuses its page's data without; that no key reaches the page and nothing is loaded from
// anywhere but the gateway. A screenshot is saved to test-results/dashboard.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway/server.ts';
import { startGateway } from '../../src/gateway/server.ts';
import { hello, post, providersFor, until } from '../gateway/helpers.ts';
import { completion, openaiError, startUpstream, type Upstream } from '../support/upstream.ts';

// CI installs Debian's chromium (.ci/run); playwright's own browser download is never used.
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialing Google's hosts, which this
// machine's closed network refuses (.library/env/machines/node.md). launch() gives it a fresh,
// temporary --user-data-dir of its own and removes it on close().
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const keys = ['sk-dashboard-secret-123', 'sk-dashboard-secret-456'];
const gatewayKey = 'sb-dashboard-gateway-key';
const screenshotPath = 'test-results/dashboard.png';

type Row = Record<string, string>;

/** The deployment rows as a person reads them: deployment id → column heading → rendered text. */
function readTable(page: Page): Promise<Record<string, Row>> {
  // Element types come from the DOM lib, which this Node project leaves out, so they are spelled here.
  interface Cell {
    innerText: string;
    textContent: string | null;
  }
  interface TableElement {
    querySelectorAll(selector: string): Iterable<Cell & TableElement>;
    querySelector(selector: string): Cell | null;
  }
  return page.locator('#deployments').evaluate((element) => {
    const table = element as unknown as TableElement;
    const headings = [...table.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').trim().toLowerCase());
    const shown: Record<string, Record<string, string>> = {};
    for (const tr of table.querySelectorAll('#rows tr.deployment')) {
      // biome-ignore lint/performance/useDomNodeTextContent: the test reads what a person sees
      const cells = [...tr.querySelectorAll('td')].map((td) => td.innerText.trim());
      const name = tr.querySelector('.name')?.textContent ?? '';
      shown[name] = Object.fromEntries(headings.map((heading, index) => [heading, cells[index] ?? '']));
    }
    return shown;
  });
}

/** Reads the table until `check` passes on it; fails after `timeoutMs` with the last table seen. */
async function tableWhen(page: Page, check: (table: Record<string, Row>) => boolean, timeoutMs = 5000) {
  let table: Record<string, Row> = {};
  const read = async () => {
    table = await readTable(page);
    return check(table);
  };
  await until(read, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}; the page showed ${JSON.stringify(table, null, 2)}`);
  });
  return table;
}

async function feed(page: Page): Promise<Array<{ kind: string; message: string }>> {
  return page.locator('#events li').evaluateAll((items) =>
    items.map((item) => ({
      kind: (item as unknown as { dataset: { kind: string } }).dataset.kind,
      message: item.textContent ?? '',
    })),
  );
}

interface Traffic {
  at: number[];
  providers: string[];
  requests: number[][];
  marks: Array<{ at: number; kind: string }>;
}

describe('dashboard page in Chromium', () => {
  let first: Upstream | undefined;
  let second: Upstream | undefined;
  let gateway: Gateway | undefined;
  let keyed: Gateway | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const requested: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `Chromium not found at ${chromiumPath}. The dashboard test needs it: ` +
          'apt-get install -y --no-install-recommends chromium (Debian/Ubuntu), ' +
          'or set CHROMIUM_PATH to a Chromium or Chrome binary. Do not run `playwright install`.',
      );
    }
    first = await startUpstream();
    second = await startUpstream();
    const config = providersFor([first.url, second.url], {
      // One failure opens the circuit, and its first probe is a minute away: it comes back by the probe button.
      routing: { failureThreshold: 1, recovery: { probeDelaysMs: [60_000], probeJitter: 0 } },
    });
    for (const [index, provider] of Object.values(config.providers).entries()) provider.apiKey = keys[index]!;
    gateway = await startGateway({ config, port: 0, logger: false });
    keyed = await startGateway({
      config: { ...config, server: { apiKeys: [gatewayKey] } },
      port: 0,
      host: '127.0.0.1',
      logger: false,
    });

    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 15_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: 'light' });
    page.setDefaultTimeout(5000);
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(gateway.url + '/', { waitUntil: 'load' });
  });

  after(async () => {
    // Bounded, and never in the way of closing the servers.
    const stop = new AbortController();
    await Promise.race([browser?.close().catch(() => {}), sleep(5000, undefined, { signal: stop.signal }).catch(() => {})]);
    stop.abort();
    await gateway?.close(0);
    await keyed?.close(0);
    await Promise.all([first?.close(), second?.close()]);
  });

  it('shows every provider and deployment as healthy once the stream is live', async () => {
    const table = await tableWhen(page, (shown) => Object.keys(shown).length === 2);
    assert.deepEqual(Object.keys(table), ['first/llama', 'second/llama']);
    for (const name of ['first/llama', 'second/llama']) {
      assert.equal(table[name]!['state'], 'healthy', name);
      assert.equal(table[name]!['last error'], '—', name);
      assert.equal(table[name]!['next probe'], '—', name);
      assert.equal(table[name]!['headroom'], '100%', name);
    }
    const providerRows = await page.locator('tr.provider .pname').allTextContents();
    assert.deepEqual(providerRows, ['first', 'second']);
    assert.match((await page.locator('#summary').textContent()) ?? '', /^2 of 2 providers healthy/);
    assert.match((await page.locator('#live').textContent()) ?? '', /^live/);
  });

  it('shows the first turning unhealthy within 2 s of its upstream going down, the failover in the feed and the chart', async (t) => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    for (let index = 0; index < 3; index++) await (await post(gateway!, hello)).arrayBuffer();
    // The upstream goes down, echoing the key in its error text as OpenAI does for a bad key.
    first!.fallback = { status: 503, json: openaiError(`overloaded (key ${keys[0]})`, 'server_error') };
    const response = await post(gateway!, hello);
    assert.equal(response.status, 200, 'the second provider answers');
    await response.arrayBuffer();
    const trippedAt = Date.now();
    assert.equal(gateway!.router.status()['first']!.state, 'open');
    for (let index = 0; index < 3; index++) await (await post(gateway!, hello)).arrayBuffer();

    const table = await tableWhen(page, (shown) => shown['first/llama']?.['state'] === 'cooling down', 2000);
    t.diagnostic(`the page showed the trip ${Date.now() - trippedAt} ms after it`);
    const shown = table['first/llama']!;
    assert.match(shown['last error']!, /overloaded/);
    assert.match(shown['last error']!, /\[redacted\]/);
    assert.match(shown['next probe']!, /^in (5\d|60) s$/);
    assert.equal(table['second/llama']!['state'], 'healthy');
    assert.match((await page.locator('#summary').textContent()) ?? '', /^1 of 2 providers healthy · 1 of 2 deployments/);

    await until(async () => (await feed(page)).some((event) => event.kind === 'failover'), 3000);
    const events = await feed(page);
    const failover = events.find((event) => event.kind === 'failover')!;
    assert.match(failover.message, /first \(llama-0\) → second\/llama: server \(HTTP 503\)/);
    assert.ok(events.some((event) => event.kind === 'trip' && /first\/llama taken out/.test(event.message)));

    // The traffic the chart is drawn from: the second provider took the requests after the trip, which is marked.
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    let traffic = {} as Traffic;
    await until(async () => {
      traffic = (await page.evaluate('window.switchboardTraffic')) as Traffic;
      return sum(traffic.requests[1]!) === 4;
    }, 3000).catch(() => {});
    assert.deepEqual(traffic.providers, ['first', 'second']);
    assert.equal(sum(traffic.requests[0]!), 4, 'three answered and one failed at the first');
    assert.equal(sum(traffic.requests[1]!), 4, 'the failover and the three after it at the second');
    assert.equal(traffic.marks.filter((mark) => mark.kind === 'trip').length, 1);
    assert.ok(await page.locator('#chart canvas').count(), 'uPlot drew the chart');
    assert.deepEqual(navigations, [], 'the page updated in place');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  it('brings it back with the probe button once its upstream answers again', async () => {
    first!.fallback = { json: completion('back') };
    const before = first!.requests.length;
    await page.locator('tr.deployment', { hasText: 'first/llama' }).locator('button.probe-now').click();
    await tableWhen(page, (shown) => shown['first/llama']?.['state'] === 'healthy', 4000);
    assert.equal(first!.requests.length, before + 1, 'one probe was sent');
    assert.equal(first!.requests.at(-1)!.body.max_tokens, 1);
    await until(async () => (await feed(page)).some((event) => event.kind === 'recovery'), 3000);
    const kinds = (await feed(page)).map((event) => event.kind);
    assert.deepEqual(kinds.slice(0, 2), ['recovery', 'probe'], 'newest first');
  });

  it('shows no provider key anywhere in its text or HTML', async () => {
    const text = (await page.locator('body').textContent()) ?? '';
    const html = await page.content();
    for (const key of keys) {
      assert.ok(!text.includes(key), `key ${key} in the page text`);
      assert.ok(!html.includes(key), `key ${key} in the page HTML`);
    }
    assert.doesNotMatch(html, /sk-dashboard/);
  });

  it('asks a gateway with keys for one, refuses its data without, and goes live with it', async () => {
    const refused = await fetch(`${keyed!.url}/status/stream`);
    assert.equal(refused.status, 401);
    await refused.arrayBuffer();
    const shell = await fetch(`${keyed!.url}/`);
    assert.equal(shell.status, 401);
    assert.doesNotMatch(await shell.text(), /first\/llama/);

    const other = await browser!.newPage({ viewport: { width: 1280, height: 600 } });
    const errors: string[] = [];
    other.on('pageerror', (error) => errors.push(error.message));
    await other.goto(`${keyed!.url}/`, { waitUntil: 'load' });
    await other.locator('#keyform').waitFor({ state: 'visible' });
    assert.match((await other.locator('#live').textContent()) ?? '', /key is needed/);
    assert.equal(await other.locator('tr.deployment').count(), 0, 'no data without a key');
    await other.locator('#key').fill('wrong-key');
    await other.locator('#keyform button').click();
    await until(async () => /key is needed/.test((await other.locator('#live').textContent()) ?? ''), 3000);
    await other.locator('#key').fill(gatewayKey);
    await other.locator('#keyform button').click();
    await until(async () => (await other.locator('tr.deployment').count()) === 2, 4000);
    assert.equal(await other.evaluate("sessionStorage.getItem('switchboard-key')"), gatewayKey);
    assert.ok(!other.url().includes(gatewayKey), 'never in a URL');
    assert.deepEqual(errors, []);
    await other.close();
  });

  it('says disconnected when the stream drops', async () => {
    const other = await browser!.newPage();
    const closing = await startGateway({ config: providersFor([second!.url]), port: 0, logger: false });
    await other.goto(`${closing.url}/`, { waitUntil: 'load' });
    await until(async () => /^live/.test((await other.locator('#live').textContent()) ?? ''), 4000);
    await closing.close(0);
    await until(async () => /^disconnected/.test((await other.locator('#live').textContent()) ?? ''), 4000);
    await other.close();
  });

  it('logs no console error and requests nothing from any host but the gateway', () => {
    assert.deepEqual(consoleErrors, []);
    const origin = new URL(gateway!.url).origin;
    assert.ok(requested.some((url) => url.endsWith('/status/stream')));
    assert.ok(requested.some((url) => url.endsWith('/assets/uplot.js')));
    assert.deepEqual(
      requested.filter((url) => new URL(url).origin !== origin),
      [],
    );
  });
});
