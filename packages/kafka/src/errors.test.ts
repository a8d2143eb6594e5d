import { isFencedError } from '@sunsu/kafka';

describe('isFencedError', () => {
  it('recognises fencing directly and wrapped by retry errors', () => {
    expect(isFencedError({ type: 'INVALID_PRODUCER_EPOCH' })).toBe(true);
    expect(isFencedError({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { type: 'PRODUCER_FENCED' } })).toBe(true);
    expect(isFencedError({ cause: { originalError: { type: 'INVALID_PRODUCER_EPOCH' } } })).toBe(true);
  });
  it('does not mistake other errors for fencing', () => {
    expect(isFencedError(new Error('CONCURRENT_TRANSACTIONS'))).toBe(false);
    expect(isFencedError({ type: 'NOT_COORDINATOR' })).toBe(false);
    expect(isFencedError(undefined)).toBe(false);
  });
});
