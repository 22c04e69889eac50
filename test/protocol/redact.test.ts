// Excerpts are scrubbed before they are cut (finding 4 of issue 9: a cut at 200 characters before
// the scrub left the first characters of a key), and every quotation is bounded (finding 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { boundedMessage, excerpt, excerptChars } from '../../src/protocol/redact.ts';

const secret = 'AZ-secret-0123456789abcdef';

describe('excerpt', () => {
  it('never leaves 8 characters of a secret, wherever the cut falls', () => {
    fc.assert(
      fc.property(fc.nat(600), fc.nat(400), (before, maxChars) => {
        const text = `${'x'.repeat(before)}${secret} and more`;
        const quoted = excerpt(text, [secret], Math.max(1, maxChars));
        for (let start = 0; start + 8 <= secret.length; start++) {
          if (quoted.includes(secret.slice(start, start + 8))) return false;
        }
        return quoted.length <= Math.max(1, maxChars) + 1;
      }),
    );
  });

  it('is at most 300 characters and an ellipsis, and costs the same for 30 MB as for 3 KB', () => {
    const huge = 'y'.repeat(30 * 1024 * 1024);
    const started = performance.now();
    const quoted = excerpt(huge);
    assert.ok(performance.now() - started < 50, 'a window is read, not the whole text');
    assert.equal(quoted.length, excerptChars + 1);
    assert.ok(quoted.endsWith('…'));
    assert.equal(excerpt('short\n\n text'), 'short text');
    assert.equal(excerpt(''), '(empty)');
  });

  it('scrubs key shapes too', () => {
    assert.equal(excerpt('key sk-abcdefgh12345678 refused'), 'key [redacted] refused');
  });
});

describe('boundedMessage', () => {
  it('scrubs a short message as it is and cuts a long one to 4,096 characters', () => {
    assert.equal(boundedMessage(`bad ${secret}`, [secret]), 'bad [redacted]');
    const long = boundedMessage(`${'z'.repeat(10_000)}${secret}`, [secret]);
    assert.equal(long.length, 4097);
    assert.ok(!long.includes(secret.slice(0, 8)));
  });
});
