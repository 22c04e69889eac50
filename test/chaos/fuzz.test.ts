// Property-based fuzzing of every route with fast-check: invalid bodies, wrong keys, unknown
// strategies, wrong methods and unknown paths. Every case is a 4xx in the route's error shape
// (Anthropic's on /v1/messages), never a 5xx, never a request to an upstream, and the gateway
// (its own process) is still up afterwards. A few thousand cases in CI; CHAOS_LONG=1 runs ten times
// as many (over 10,000).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { errorShapeProblem } from '../support/chaos-client.ts';
import { scale } from '../support/chaos-config.ts';
import { type ChaosTarget, startChaosTarget } from '../support/chaos-target.ts';
import { emptyFigures, publishFigures } from '../support/figures.ts';
import { headerValue, invalidChatBody, invalidMessagesBody, notAnObject, unknownStrategy } from '../support/invalid-requests.ts';

const runs = 500 * scale;
const figures = emptyFigures();
type Dialect = 'openai' | 'anthropic';

interface PostRoute {
  path: string;
  dialect: Dialect;
  bodies: fc.Arbitrary<string | Uint8Array>;
}

/** A JSON object naming a model nobody serves, with the fields any of the POST routes takes. */
const unknownModelBody = fc
  .string({ minLength: 1, maxLength: 30 })
  .map((name) =>
    JSON.stringify({ model: `fuzz-${name}`, input: 'x', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
  );

const postRoutes: PostRoute[] = [
  { path: '/v1/chat/completions', dialect: 'openai', bodies: invalidChatBody },
  { path: '/v1/messages', dialect: 'anthropic', bodies: invalidMessagesBody },
];
/** Routes other work may have added to main: fuzzed when the gateway has them. */
const optionalPostRoutes: Array<[string, Dialect]> = [
  ['/v1/responses', 'openai'],
  ['/v1/embeddings', 'openai'],
  ['/v1/messages/count_tokens', 'anthropic'],
  ['/status/probe', 'openai'],
];
const getRoutes = ['/v1/models', '/status', '/healthz', '/metrics', '/'];
const contentTypes = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/json; charset=utf-8',
);

describe('fuzzing every route: 4xx in the route’s shape, no 5xx, no upstream call', { timeout: 600_000 * scale }, () => {
  let target: ChaosTarget;

  before(async () => {
    target = await startChaosTarget();
    for (const [path, dialect] of optionalPostRoutes) {
      const probe = await target.client.raw('POST', path, { headers: { 'content-type': 'application/json' }, body: '{}' });
      if (probe.status !== 404) postRoutes.push({ path, dialect, bodies: fc.oneof(notAnObject, unknownModelBody) });
    }
    console.log(
      `routes fuzzed: ${[...postRoutes.map((route) => `POST ${route.path}`), ...getRoutes.map((path) => `GET ${path}`)].join(', ')}`,
    );
  });

  after(async () => {
    if (target && !target.gateway.alive()) figures.crashes++;
    publishFigures('fuzz', figures);
    await target?.dispose();
  });

  /** Sends one case and checks it; counts into the figures whatever the outcome. */
  async function refused(
    method: string,
    path: string,
    dialect: Dialect,
    request: { headers?: Record<string, string>; body?: string | Uint8Array },
  ) {
    const response = await target.client.raw(method, path, {
      headers: request.headers ?? {},
      ...(request.body !== undefined && { body: typeof request.body === 'string' ? request.body : Buffer.from(request.body) }),
    });
    figures.requests++;
    if (response.status >= 500 || response.status === 0) figures.serverErrorsFromClientInput++;
    assert.ok(
      response.status >= 400 && response.status < 500,
      `${method} ${path}: ${response.status} ${response.body.slice(0, 300)}`,
    );
    const problem = errorShapeProblem(response.body, dialect);
    assert.equal(problem, undefined, `${method} ${path} ${response.status}: ${problem}`);
    return response;
  }

  /** Runs a property and checks that no upstream was called and the gateway still answers. */
  async function property<T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<unknown>, numRuns = runs) {
    const before = target.upstreamCalls();
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (value) => void (await check(value))),
        { numRuns },
      );
    } finally {
      const calls = target.upstreamCalls() - before;
      figures.upstreamCallsFromInvalidInput += calls;
      const reached = target.upstreams.flatMap((upstream) => upstream.recentBodies).slice(-3);
      assert.equal(calls, 0, `upstream calls from invalid input, the last: ${reached.join('\n')}`);
      const health = await target.client.raw('GET', '/healthz');
      assert.equal(health.status, 200, 'the gateway still answers');
    }
  }

  // Registered before `before` finds out which optional routes exist: those absent are skipped.
  for (const path of [...postRoutes.map((route) => route.path), ...optionalPostRoutes.map(([optional]) => optional)]) {
    it(`POST ${path}: invalid bodies, any content type`, async (t) => {
      const route = postRoutes.find((candidate) => candidate.path === path);
      if (route === undefined) return t.skip(`no ${path} on this gateway`);
      await property(fc.tuple(route.bodies, contentTypes), ([body, type]) =>
        refused('POST', route.path, route.dialect, { headers: { 'content-type': type }, body }),
      );
    });
  }

  it('POST to the chat routes with random extra headers and an invalid body', async () => {
    const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/).filter((name) => name !== 'x-api-key');
    const routes = postRoutes.map((route) => [route.path, route.dialect] as const);
    await property(
      fc.tuple(fc.constantFrom(...routes), fc.dictionary(headerName, headerValue, { maxKeys: 5 })),
      ([[path, dialect], headers]) =>
        refused('POST', path, dialect, { headers: { ...headers, 'content-type': 'application/json' }, body: '{"model":' }),
    );
  });

  it('every guarded route (/v1, /status, /metrics): a wrong or malformed key is a 401', async () => {
    const routes = [
      ...postRoutes.map((route) => ['POST', route.path, route.dialect] as const),
      ['GET', '/v1/models', 'openai'] as const,
      ['GET', '/v1/models/chaos', 'openai'] as const,
      // Guarded when the gateway has keys (server.protectStatus); an endless stream with the key.
      ['GET', '/status/stream', 'openai'] as const,
      ['GET', '/status', 'openai'] as const,
      ['GET', '/metrics', 'openai'] as const,
    ];
    const wrongKey = fc.oneof(
      headerValue.map((value) => ({ authorization: value })),
      headerValue.map((value) => ({ authorization: `Bearer ${value}` })),
      headerValue.map((value) => ({ 'x-api-key': value })),
    );
    await property(fc.tuple(fc.constantFrom(...routes), wrongKey), async ([[method, path, dialect], headers]) => {
      const response = await target.client.raw(method, path, {
        headers: { authorization: '', ...headers, 'content-type': 'application/json' },
        ...(method === 'POST' && {
          body: JSON.stringify({ model: 'chaos', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        }),
      });
      figures.requests++;
      if (response.status >= 500) figures.serverErrorsFromClientInput++;
      assert.equal(
        response.status,
        401,
        `${method} ${path} ${JSON.stringify(headers)}: ${response.status} ${response.body.slice(0, 200)}`,
      );
      assert.equal(errorShapeProblem(response.body, dialect), undefined);
    });
  });

  it('an x-switchboard-strategy no router knows is a 400 on a valid request', async () => {
    const routes = [
      ['/v1/chat/completions', 'openai'],
      ['/v1/messages', 'anthropic'],
    ] as const;
    await property(fc.tuple(fc.constantFrom(...routes), unknownStrategy), async ([[path, dialect], strategy]) => {
      const body = JSON.stringify({ model: 'chaos', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
      const response = await refused('POST', path, dialect, {
        headers: { 'content-type': 'application/json', 'x-switchboard-strategy': strategy },
        body,
      });
      assert.equal(response.status, 400, `strategy ${JSON.stringify(strategy)}`);
    });
  });

  it('every route: a method it does not take is a 405 with Allow', async () => {
    const routes = [...postRoutes.map((route) => route.path), ...getRoutes];
    await property(
      fc.tuple(
        fc.constantFrom(...routes),
        fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'GET'),
        fc.string({ maxLength: 50 }),
      ),
      async ([path, method, body]) => {
        const takes = getRoutes.includes(path) ? ['GET', 'HEAD'] : ['POST'];
        if (takes.includes(method)) return;
        const dialect = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
        const response = await refused(method, path, dialect, {
          headers: { 'content-type': 'application/json' },
          ...(method !== 'GET' && { body }),
        });
        // The body is parsed before the route answers, so a body that is not JSON may be refused as such first.
        if (response.status === 400) assert.match(response.body, /not valid JSON/);
        else assert.equal(response.status, 405);
        if (response.status === 405) assert.ok(response.headers.allow, 'an Allow header');
      },
    );
  });

  it('unknown paths are a 404 in OpenAI’s shape', async () => {
    const known = new Set([...postRoutes.map((route) => route.path), ...getRoutes]);
    const path = fc
      .tuple(
        fc.constantFrom('/v1/', '/', '/v2/', '/v1/chat/'),
        fc.stringMatching(/^[A-Za-z0-9._~-]{1,30}(\/[A-Za-z0-9._~-]{1,10})?$/),
      )
      .map(([prefix, rest]) => `${prefix}${rest}`)
      .filter((candidate) => ![...known].some((route) => candidate === route || candidate.startsWith(`${route}/`)))
      .filter((candidate) => !/(^|\/)\.\.?(\/|$)/.test(candidate));
    await property(fc.tuple(path, fc.constantFrom('GET', 'POST')), async ([candidate, method]) => {
      const response = await refused(method, candidate, 'openai', {
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' && { body: '{}' }),
      });
      assert.equal(response.status, 404, candidate);
    });
  });

  it('GET routes with random queries and headers: never a 5xx', async () => {
    const query = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9%._-]{0,20}$/), { maxKeys: 4 });
    await property(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(...getRoutes),
          fc.string({ minLength: 1, maxLength: 60 }).map((id) => `/v1/models/${encodeURIComponent(id)}`),
          fc.string({ minLength: 1, maxLength: 60 }).map((id) => `/v1/responses/${encodeURIComponent(id)}`),
        ),
        query,
        fc.dictionary(fc.stringMatching(/^x-[a-z]{1,10}$/), headerValue, { maxKeys: 3 }),
      ),
      async ([path, parameters, headers]) => {
        const search = new URLSearchParams(parameters).toString();
        const response = await target.client.raw('GET', `${path}${search ? `?${search}` : ''}`, { headers });
        figures.requests++;
        if (response.status >= 500) figures.serverErrorsFromClientInput++;
        assert.ok(response.status > 0 && response.status < 500, `${path}?${search}: ${response.status}`);
      },
    );
  });
});
