import { describe, expect, it } from 'vitest';
import { WorkflowError, describe as describeValue, invalidArgument, isWorkflowError, isWorkflowErrorName, messageOf, type WorkflowErrorName } from '../../src/core/errors.ts';

const ALL: WorkflowErrorName[] = [
  'InvalidRunId', 'InputMismatch', 'ReservedHeader', 'ReservedKvKey', 'InvalidPayload', 'PayloadTooLarge',
  'UnknownWorkflow', 'RunTerminal', 'EventWaiterExists', 'ConflictingKvEffect', 'EffectsSealed', 'ClaimLost',
  'QuotaExceeded', 'StoreClosed', 'InvalidArgument', 'InvalidQueueName', 'InvalidJobId', 'DuplicateJobId',
  'JobNotFound', 'InvalidState', 'StoreError',
];

describe('WorkflowError', () => {
  it('carries its name, message and details and is an Error', () => {
    const e = new WorkflowError('ClaimLost', 'gone', { jobId: 'j' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ClaimLost');
    expect(e.message).toBe('gone');
    expect(e.details).toEqual({ jobId: 'j' });
    expect(new WorkflowError('JobNotFound', 'x').details).toEqual({});
  });

  it('classifies storage trouble as transient and everything else as permanent', () => {
    const transient = ALL.filter((n) => !new WorkflowError(n, '').isPermanent());
    expect(transient.sort()).toEqual(['QuotaExceeded', 'StoreClosed', 'StoreError']);
    for (const n of ['JobNotFound', 'InvalidState', 'ClaimLost', 'InvalidJobId', 'DuplicateJobId', 'InvalidQueueName', 'PayloadTooLarge', 'InvalidPayload'] as const) {
      expect(new WorkflowError(n, '').isPermanent()).toBe(true);
    }
  });
});

describe('isWorkflowError', () => {
  it('recognises every name, with or without the expected name', () => {
    for (const n of ALL) {
      const e = new WorkflowError(n, 'm');
      expect(isWorkflowError(e)).toBe(true);
      expect(isWorkflowError(e, n)).toBe(true);
    }
    expect(isWorkflowError(new WorkflowError('ClaimLost', ''), 'StoreError')).toBe(false);
  });

  it('identifies by name, so a plain object that crossed a port still counts', () => {
    const crossed = { name: 'ClaimLost', message: 'gone', stack: '' };
    expect(isWorkflowError(crossed)).toBe(true);
    expect(isWorkflowError(crossed, 'ClaimLost')).toBe(true);
  });

  it('rejects other errors and non-errors', () => {
    expect(isWorkflowError(new TypeError('x'))).toBe(false);
    expect(isWorkflowError({ name: 'NotOurs' })).toBe(false);
    expect(isWorkflowError({ name: 42 })).toBe(false);
    expect(isWorkflowError('ClaimLost')).toBe(false);
    expect(isWorkflowError(null)).toBe(false);
    expect(isWorkflowError(undefined)).toBe(false);
  });

  it('knows exactly the closed set of names', () => {
    for (const n of ALL) expect(isWorkflowErrorName(n)).toBe(true);
    expect(isWorkflowErrorName('Error')).toBe(false);
    expect(isWorkflowErrorName('claimlost')).toBe(false);
  });
});

describe('invalidArgument', () => {
  it('names what was wrong and describes the value without embedding it', () => {
    const e = invalidArgument('delayMs', 'must be >= 0', -1);
    expect(e).toMatchObject({ name: 'InvalidArgument', message: 'delayMs must be >= 0', details: { what: 'delayMs', value: '-1' } });
    expect(invalidArgument('x', 'is bad').details).toEqual({ what: 'x' });
  });
});

describe('describe', () => {
  it.each([
    [null, 'null'],
    [[1, 2, 3], 'array(3)'],
    ['short', '"short"'],
    ['y'.repeat(41), 'string(41)'],
    [1.5, '1.5'],
    [true, 'true'],
    [5n, '5'],
    [new Map(), 'Map'],
    [{}, 'Object'],
    [Object.create(null), 'object'],
    [() => 1, 'function'],
    [undefined, 'undefined'],
    [Symbol('s'), 'symbol'],
  ])('describes case %# as %s', (value, out) => {
    expect(describeValue(value)).toBe(out);
  });
});

describe('messageOf', () => {
  it('reads the message of errors, strings and error-like objects', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf(new TypeError(''))).toBe('TypeError');
    expect(messageOf('plain')).toBe('plain');
    expect(messageOf({ message: 'like' })).toBe('like');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(Object.create(null))).toBe('unknown error');
  });
});
