// Two gateways sharing a real redis-server, and B's page in headless Chromium: the traffic chart on
// B's page counts what A answered, and a step that both answered in (shown first with B's own
// counts, then with the fleet's) ends with the sum. 3 s steps, read back 1.5 s after they close,
// so the page sees a step's own counts before the fleet's replace them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { startGateway } from '../../src/gateway/server.ts';
import { createRouter } from '../../src/router/router.ts';
import { RedisStore } from '../../src/state/redis.ts';
import { hello, post, providersFor, until } from '../gateway/helpers.ts';
import { startRedis } from '../support/redis.ts';
import { startUpstream } from '../support/upstream.ts';

const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'];
const stepMs = 3000;

interface Traffic {
  providers: string[];
  requests: number[][];
}

describe('dashboard page with the state in Redis', () => {
  it("shows on B's page the traffic A answered, and the sum where both answered", { timeout: 90_000 }, async (t) => {
    assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath} (see test/dashboard/page.test.ts)`);
    const redis = await startRedis(t);
    const upstream = await startUpstream();
    t.after(() => upstream.close());
    const config = providersFor([upstream.url]);
    const prefix = `page-${randomUUID()}`;
    const [a, b] = await Promise.all(
      [0, 1].map(async () => {
        const store = new RedisStore({ url: redis.url, prefix, flushMs: 20 });
        await store.ready();
        const router = createRouter(config, { store, history: { stepMs, fleetSettleMs: 1500 } });
        const gateway = await startGateway({ config, port: 0, logger: false, router });
        t.after(async () => {
          await gateway.close(0);
          await router.close();
          await store.close();
        });
        return gateway;
      }),
    );

    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 15_000 });
    t.after(async () => {
      const stop = new AbortController();
      await Promise.race([browser.close().catch(() => {}), sleep(5000, undefined, { signal: stop.signal }).catch(() => {})]);
      stop.abort();
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(b!.url + '/', { waitUntil: 'load' });

    const shown = async () => {
      const traffic = (await page.evaluate('window.switchboardTraffic')) as Traffic | undefined;
      return traffic?.requests[0]?.reduce((sum, value) => sum + value, 0) ?? 0;
    };
    const waitFor = async (requests: number) => {
      await until(async () => (await shown()) === requests, 20_000).catch(async () => {
        throw new Error(`B's page shows ${await shown()} requests, not ${requests}`);
      });
    };

    for (let index = 0; index < 3; index++) await (await post(a!, hello)).arrayBuffer();
    await waitFor(3);
    assert.match((await page.locator('#summary').textContent()) ?? '', /history of every replica/);

    // Both answer in one step, early in it, so B's page shows B's own count of it first.
    await sleep(stepMs - (Date.now() % stepMs) + 100);
    const both = [...Array.from({ length: 2 }, () => post(a!, hello)), ...Array.from({ length: 2 }, () => post(b!, hello))];
    for (const answer of await Promise.all(both)) await answer.arrayBuffer();
    await waitFor(7);
    assert.deepEqual(errors, []);
  });
});
