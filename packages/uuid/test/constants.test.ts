import { describe, expect, it } from 'vitest';
import { MAX, NIL } from '../src/index.js';

describe('NIL and MAX', () => {
  it('are the all-zero and all-one UUIDs of RFC 9562', () => {
    expect(NIL.replaceAll('-', '')).toBe('0'.repeat(32));
    expect(MAX.replaceAll('-', '')).toBe('f'.repeat(32));
  });
});
