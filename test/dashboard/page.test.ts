// The status page in a real browser: headless Chromium (Debian's package) driven by playwright-core,
// against a gateway in front of two emulated upstreams. It checks what a person sees, that the page
// follows a circuit opening without a reload, that no key reaches it, and that it loads nothing
// from anywhere but the gateway.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway/server.ts';
import { startGateway } from '../../src/gateway/server.ts';
import { hello, post, providersFor, until } from '../gateway/helpers.ts';
import { openaiError, startUpstream, type Upstream } from '../support/upstream.ts';

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
const screenshotPath = '/tmp/dashboard.png';

type Row = Record<string, string>;

/** The deployment table as a person reads it: deployment id → column heading → rendered text. */
function readTable(page: Page): Promise<Record<string, Row>> {
  // One evaluate reads one render: the page replaces every row each second. Element types come
  // from the DOM lib, which this Node project leaves out, so they are spelled here.
  interface Cell {
    innerText: string;
    textContent: string | null;
  }
  interface TableElement {
    querySelectorAll(selector: string): Iterable<Cell & TableElement>;
    querySelector(selector: string): Cell | null;
  }
  return page.locator('table').evaluate((element) => {
    const table = element as unknown as TableElement;
    const headings = [...table.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').trim().toLowerCase());
    const shown: Record<string, Record<string, string>> = {};
    for (const tr of table.querySelectorAll('#rows tr')) {
      // innerText, not textContent: the text as rendered, with line breaks between blocks.
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

describe('dashboard page in Chromium', () => {
  let first: Upstream | undefined;
  let second: Upstream | undefined;
  let gateway: Gateway | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const requested: string[] = [];

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
      // One failure opens the circuit, and its first probe is a minute away, so it stays open.
      routing: { failureThreshold: 1, recovery: { probeDelaysMs: [60_000], probeJitter: 0 } },
    });
    for (const [index, provider] of Object.values(config.providers).entries()) provider.apiKey = keys[index]!;
    gateway = await startGateway({ config, port: 0, logger: false });

    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 15_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 400 }, colorScheme: 'light' });
    page.setDefaultTimeout(5000);
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(gateway.url + '/', { waitUntil: 'load' });
  });

  after(async () => {
    // Bounded, and never in the way of closing the servers.
    const stop = new AbortController();
    await Promise.race([browser?.close().catch(() => {}), sleep(5000, undefined, { signal: stop.signal }).catch(() => {})]);
    stop.abort();
    await gateway?.close(0);
    await Promise.all([first?.close(), second?.close()]);
  });

  it('lists both providers’ deployments as closed and healthy', async () => {
    const table = await tableWhen(page, (shown) => Object.keys(shown).length === 2);
    assert.deepEqual(Object.keys(table), ['first/llama', 'second/llama']);
    for (const name of ['first/llama', 'second/llama']) {
      assert.equal(table[name]!['state'], 'closed', name);
      assert.equal(table[name]!['healthy'], 'yes', name);
      assert.equal(table[name]!['last error'], '—', name);
      assert.equal(table[name]!['next probe'], '—', name);
    }
    assert.match((await page.locator('#summary').textContent()) ?? '', /^2 of 2 providers healthy/);
    assert.match((await page.locator('#live').textContent()) ?? '', /^live/);
  });

  it('shows the first provider’s deployment open, with its last error and its next probe, without a reload', async (t) => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    // The upstream echoes the key in its error text, as OpenAI does for a bad key.
    first!.fallback = { status: 503, json: openaiError(`overloaded (key ${keys[0]})`, 'server_error') };
    for (let attempt = 0; attempt < 5 && gateway!.router.status()['first']!.state !== 'open'; attempt++) {
      const response = await post(gateway!, hello);
      assert.equal(response.status, 200, 'the second provider answers');
      await response.arrayBuffer();
    }
    assert.equal(gateway!.router.status()['first']!.state, 'open');

    const startedWaiting = Date.now();
    const table = await tableWhen(page, (shown) => shown['first/llama']?.['state'] === 'open');
    t.diagnostic(`the page showed the open circuit ${Date.now() - startedWaiting} ms after it opened`);
    const shown = table['first/llama']!;
    assert.equal(shown['healthy'], 'no');
    assert.equal(shown['failures'], '1');
    assert.match(shown['last error']!, /overloaded/);
    assert.match(shown['last error']!, /\[redacted\]/);
    assert.match(shown['next probe']!, /^in (59|60) s$/);
    assert.equal(table['second/llama']!['state'], 'closed');
    assert.equal(table['second/llama']!['healthy'], 'yes');
    assert.match(
      (await page.locator('#summary').textContent()) ?? '',
      /^1 of 2 providers healthy · 1 of 2 deployments in service/,
    );
    assert.deepEqual(navigations, [], 'the page updated in place');
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  it('shows no provider key anywhere in its text or HTML', async () => {
    // textContent, script included: wider than what is rendered.
    const text = (await page.locator('body').textContent()) ?? '';
    const html = await page.content();
    for (const key of keys) {
      assert.ok(!text.includes(key), `key ${key} in the page text`);
      assert.ok(!html.includes(key), `key ${key} in the page HTML`);
    }
    assert.doesNotMatch(html, /sk-dashboard/);
  });

  it('requests nothing from any host but the gateway', () => {
    const origin = new URL(gateway!.url).origin;
    assert.ok(
      requested.some((url) => url.endsWith('/status')),
      'it polled /status',
    );
    assert.deepEqual(
      requested.filter((url) => new URL(url).origin !== origin),
      [],
    );
  });
});
