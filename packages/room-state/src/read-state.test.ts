import { readersOf } from './read-state.ts';

describe('readersOf', () => {
  it('counts the sender and everyone whose last-read reached the message, for any number of participants', () => {
    const lastReads = new Map([
      ['2', 5],
      ['3', 4],
      ['4', 9],
    ]);
    expect(readersOf(5, '1', lastReads)).toEqual(['1', '2', '4']);
    expect(readersOf(10, '1', lastReads)).toEqual(['1']);
    expect(readersOf(1, '3', new Map())).toEqual(['3']);
  });
});
