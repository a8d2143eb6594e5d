import { readCapFromMeta } from './room-events.ts';

describe('readCapFromMeta', () => {
  it('a marker up to the room meta stands without the archive', () => {
    expect(readCapFromMeta(5, 9, false)).toBe(5);
    expect(readCapFromMeta(9, 9, false)).toBe(9);
  });
  it('a marker past the meta (read from history before its fan-out) asks the archive', () => {
    expect(readCapFromMeta(10, 9, false)).toBeUndefined();
  });
  it('entering a room reads up to the meta; an unknown meta (Redis lost it, or no messages) asks the archive', () => {
    expect(readCapFromMeta(Number.MAX_SAFE_INTEGER, 9, true)).toBe(9);
    expect(readCapFromMeta(Number.MAX_SAFE_INTEGER, 0, true)).toBeUndefined();
  });
});
