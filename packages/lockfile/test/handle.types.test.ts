// Type tests of the lock handle and the calls that return it: `npx turbo run typecheck` (tsc over test/) fails if
// a signature changes; vitest runs the same file (expectTypeOf is a no-op at run time).
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AcquireOptions,
  HeldLock,
  IsLockedOptions,
  Locker,
  LockHandle,
  LockPorts,
} from '../src/index.js';
import { createLocker } from '../src/index.js';
import { acquire, isLocked, withLock } from '../src/node/index.js';

describe('the lock handle (types)', () => {
  it('has exactly these members', () => {
    expectTypeOf<LockHandle>().toEqualTypeOf<{
      readonly path: string;
      readonly lockPath: string;
      readonly signal: AbortSignal;
      adopt(pid: number): Promise<void>;
      release(): Promise<void>;
      [Symbol.asyncDispose](): Promise<void>;
    }>();
  });

  it('works with `await using` (AsyncDisposable)', () => {
    expectTypeOf<LockHandle>().toExtend<AsyncDisposable>();
  });

  it('is what the Node entry hands out: acquire, withLock, isLocked', () => {
    expectTypeOf(acquire).parameters.toEqualTypeOf<[path: string, options?: AcquireOptions]>();
    expectTypeOf(acquire).returns.toEqualTypeOf<Promise<LockHandle>>();
    expectTypeOf(withLock<number>).parameters.toEqualTypeOf<
      [path: string, fn: (lock: LockHandle) => Promise<number> | number, options?: AcquireOptions]
    >();
    expectTypeOf(withLock<number>).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(isLocked).parameters.toEqualTypeOf<[path: string, options?: IsLockedOptions]>();
    expectTypeOf(isLocked).returns.toEqualTypeOf<Promise<boolean>>();
  });

  it("the core's Locker hands out a HeldLock: a handle that can also be released from an exit handler", () => {
    expectTypeOf(createLocker).parameters.toEqualTypeOf<[ports: LockPorts]>();
    expectTypeOf(createLocker).returns.toEqualTypeOf<Locker>();
    expectTypeOf<Locker['acquire']>().returns.toEqualTypeOf<Promise<HeldLock>>();
    expectTypeOf<HeldLock>().toExtend<LockHandle>();
    expectTypeOf<Omit<HeldLock, keyof LockHandle>>().toEqualTypeOf<{ releaseAtExit(): void }>();
  });
});
