import { describe, expect, it } from 'vitest';
import { checkFunction, checkInt, checkMs, checkOptions, checkString } from '../../src/core/check.ts';

function thrown(call: () => void): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('argument checks', () => {
  it('checkOptions accepts absent and plain objects, and names anything else', () => {
    for (const ok of [undefined, {}, { a: 1 }]) expect(thrown(() => checkOptions(ok, 'opts'))).toBeUndefined();
    for (const bad of [null, [], 'x', 1]) {
      expect(thrown(() => checkOptions(bad, 'claim options'))).toMatchObject({ name: 'InvalidArgument', message: 'claim options must be an object', details: { what: 'claim options' } });
    }
  });

  it('checkMs wants a finite number of ms at or above its minimum', () => {
    for (const ok of [0, 1.5, 1e9]) expect(thrown(() => checkMs(ok, 'delayMs'))).toBeUndefined();
    for (const bad of [-1, NaN, Infinity, '5', undefined]) {
      expect(thrown(() => checkMs(bad, 'delayMs'))).toMatchObject({ name: 'InvalidArgument', message: 'delayMs must be a finite number of ms >= 0', details: { what: 'delayMs' } });
    }
    expect(thrown(() => checkMs(0, 'leaseMs', 1))).toMatchObject({ message: 'leaseMs must be a finite number of ms >= 1', details: { value: '0' } });
  });

  it('checkInt wants a safe integer, at or above its minimum when given', () => {
    expect(thrown(() => checkInt(-5, 'priority'))).toBeUndefined();
    expect(thrown(() => checkInt(1.5, 'priority'))).toMatchObject({ message: 'priority must be an integer' });
    expect(thrown(() => checkInt(2 ** 53, 'priority'))).toMatchObject({ name: 'InvalidArgument' });
    expect(thrown(() => checkInt(0, 'maxAttempts', 1))).toMatchObject({ message: 'maxAttempts must be an integer >= 1', details: { what: 'maxAttempts', value: '0' } });
  });

  it('checkString and checkFunction name the argument', () => {
    expect(thrown(() => checkString('id', 'jobId'))).toBeUndefined();
    expect(thrown(() => checkString(7, 'jobId'))).toMatchObject({ message: 'jobId must be a string', details: { value: '7' } });
    expect(thrown(() => checkString(7, 'after', 'must be a job id'))).toMatchObject({ message: 'after must be a job id' });
    expect(thrown(() => checkFunction(() => undefined, 'isAlive'))).toBeUndefined();
    expect(thrown(() => checkFunction({}, 'isAlive'))).toMatchObject({ message: 'isAlive must be a function', details: { what: 'isAlive' } });
  });
});
