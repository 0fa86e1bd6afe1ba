import { describe, expect, it } from 'vitest';
import { type ClockSequenceState, TimeUuidGenerator } from '../src/index.js';
import {
  decodeUuiddReply,
  decodeUuiddRequest,
  encodeUuiddReply,
  encodeUuiddRequest,
  expandUuiddBulkTime,
  UUIDD_BULK_TIME_MAX,
  UUIDD_LITTLE_ENDIAN,
  UUIDD_OP_BULK_RANDOM_UUID,
  UUIDD_OP_BULK_TIME_UUID,
  UUIDD_OP_GET_MAXOP,
  UUIDD_OP_GETPID,
  UUIDD_OP_RANDOM_UUID,
  UUIDD_OP_TIME_UUID,
  UuiddProtocolError,
  type UuiddReply,
  type UuiddRequest,
  UuiddResponder,
  type UuiddTimeSource,
} from '../src/uuidd/index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** 60-bit timestamp of a v1 UUID. */
function ticksOf(uuid: Uint8Array): bigint {
  const h = hex(uuid);
  return BigInt(`0x${h.slice(13, 16)}${h.slice(8, 12)}${h.slice(0, 8)}`);
}

/** A counting fake of the time generator: tick n is `n`, clock sequence 0x1234. */
function countingTime(): UuiddTimeSource & { handedOut: bigint } {
  const make = (ticks: bigint) => {
    const uuid = new Uint8Array(16);
    const view = new DataView(uuid.buffer);
    view.setUint32(0, Number(ticks & 0xffffffffn));
    view.setUint16(4, Number((ticks >> 32n) & 0xffffn));
    view.setUint16(6, 0x1000 | Number(ticks >> 48n));
    view.setUint16(8, 0x9234);
    return uuid;
  };
  return {
    handedOut: 0n,
    next() {
      return make(this.handedOut++);
    },
    reserve(count: number) {
      const first = this.handedOut;
      this.handedOut += BigInt(Math.max(count, 1));
      return make(first);
    },
  };
}

const fixedRandom = (bytes: Uint8Array) => bytes.fill(0xff);

describe('the uuidd wire format', () => {
  it('is little-endian on this host, as util-linux on x86-64 and arm64', () => {
    expect(UUIDD_LITTLE_ENDIAN).toBe(true);
  });

  it('encodes single-byte requests and bulk requests with a native int32 count', () => {
    expect([...encodeUuiddRequest({ op: UUIDD_OP_GETPID })]).toEqual([0]);
    expect([...encodeUuiddRequest({ op: UUIDD_OP_TIME_UUID })]).toEqual([2]);
    expect([...encodeUuiddRequest({ op: UUIDD_OP_BULK_TIME_UUID, count: 10 })]).toEqual([4, 10, 0, 0, 0]);
    expect([...encodeUuiddRequest({ op: UUIDD_OP_BULK_RANDOM_UUID, count: -1 })]).toEqual([
      5, 255, 255, 255, 255,
    ]);
    expect(() => encodeUuiddRequest({ op: UUIDD_OP_BULK_TIME_UUID, count: 2 ** 31 })).toThrow(
      UuiddProtocolError,
    );
  });

  it('decodes every request the encoder makes, and reports what is missing or wrong', () => {
    const requests: UuiddRequest[] = [
      { op: 0 },
      { op: 1 },
      { op: 2 },
      { op: 3 },
      { op: 4, count: 1000 },
      { op: 5, count: 63 },
    ];
    for (const request of requests) {
      const bytes = encodeUuiddRequest(request);
      expect(decodeUuiddRequest(bytes)).toEqual({
        status: 'complete',
        message: request,
        length: bytes.length,
      });
    }
    expect(decodeUuiddRequest(new Uint8Array(0))).toEqual({ status: 'incomplete' });
    expect(decodeUuiddRequest(Uint8Array.of(4, 1, 0))).toEqual({ status: 'incomplete' });
    expect(decodeUuiddRequest(Uint8Array.of(6))).toEqual({
      status: 'invalid',
      reason: 'invalid operation 6',
    });
    expect(decodeUuiddRequest(Uint8Array.of(255, 0))).toMatchObject({ status: 'invalid' });
  });

  it('frames replies as util-linux does: GETPID "pid\\0", GET_MAXOP "5\\0"', () => {
    expect([...encodeUuiddReply({ op: UUIDD_OP_GETPID, pid: 4242 })]).toEqual([
      5, 0, 0, 0, 52, 50, 52, 50, 0,
    ]);
    expect([...encodeUuiddReply({ op: UUIDD_OP_GET_MAXOP, maxOp: 5 })]).toEqual([2, 0, 0, 0, 53, 0]);
  });

  it('frames a bulk time reply as 20 bytes: the UUID, then the count', () => {
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => i);
    const bytes = encodeUuiddReply({ op: UUIDD_OP_BULK_TIME_UUID, uuid, count: 300 });
    expect(bytes.length).toBe(24);
    expect([...bytes.subarray(0, 4)]).toEqual([20, 0, 0, 0]);
    expect([...bytes.subarray(4, 20)]).toEqual([...uuid]);
    expect([...bytes.subarray(20)]).toEqual([44, 1, 0, 0]);
  });

  it('frames a bulk random reply as the count, then the UUIDs', () => {
    const uuids = new Uint8Array(32).fill(7);
    const bytes = encodeUuiddReply({ op: UUIDD_OP_BULK_RANDOM_UUID, uuids, count: 2 });
    expect([...bytes.subarray(0, 8)]).toEqual([36, 0, 0, 0, 2, 0, 0, 0]);
    expect(bytes.length).toBe(40);
    expect(() => encodeUuiddReply({ op: UUIDD_OP_BULK_RANDOM_UUID, uuids, count: 3 })).toThrow(/48 bytes/);
  });

  it('round-trips every reply, byte by byte as it may arrive', () => {
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const replies: UuiddReply[] = [
      { op: 0, pid: 123456 },
      { op: 1, maxOp: 5 },
      { op: 2, uuid },
      { op: 3, uuid },
      { op: 4, uuid, count: 10 },
      { op: 5, uuids: new Uint8Array(16 * 63).fill(1), count: 63 },
      { op: 5, uuids: new Uint8Array(0), count: 0 },
    ];
    for (const reply of replies) {
      const bytes = encodeUuiddReply(reply);
      for (let cut = 0; cut < bytes.length; cut += 7) {
        expect(decodeUuiddReply(reply.op, bytes.subarray(0, cut)).status).toBe('incomplete');
      }
      expect(decodeUuiddReply(reply.op, bytes)).toEqual({
        status: 'complete',
        message: reply,
        length: bytes.length,
      });
    }
  });

  it("rejects reply lengths libuuid would reject, with util-linux's message", () => {
    const short = Uint8Array.of(15, 0, 0, 0, ...new Uint8Array(15));
    expect(decodeUuiddReply(UUIDD_OP_TIME_UUID, short)).toEqual({
      status: 'invalid',
      reason: 'Unexpected reply length from server 15',
    });
    expect(decodeUuiddReply(UUIDD_OP_BULK_TIME_UUID, Uint8Array.of(16, 0, 0, 0))).toMatchObject({
      status: 'invalid',
    });
    const tooMany = encodeUuiddReply({ op: 5, uuids: new Uint8Array(16 * 64), count: 64 });
    expect(decodeUuiddReply(UUIDD_OP_BULK_RANDOM_UUID, tooMany).status).toBe('invalid');
    expect(decodeUuiddReply(UUIDD_OP_BULK_RANDOM_UUID, tooMany, 64).status).toBe('complete');
    const lying = Uint8Array.of(20, 0, 0, 0, 2, 0, 0, 0, ...new Uint8Array(16));
    expect(decodeUuiddReply(UUIDD_OP_BULK_RANDOM_UUID, lying).status).toBe('invalid');
  });
});

describe('expandUuiddBulkTime', () => {
  it('derives the range by adding 1..count-1 to the 60-bit timestamp, carrying across fields', () => {
    const time = countingTime();
    time.handedOut = 0xffff_ffff_fffen; // two ticks below a carry out of time_low and time_mid into time_hi
    const first = time.reserve(4);
    const range = expandUuiddBulkTime(first, 4);
    expect(range.map(ticksOf)).toEqual([
      0xffff_ffff_fffen,
      0xffff_ffff_ffffn,
      0x1_0000_0000_0000n,
      0x1_0000_0000_0001n,
    ]);
    for (const uuid of range) {
      expect(uuid[6]! >> 4).toBe(1); // still version 1
      expect(hex(uuid.subarray(8))).toBe(hex(first.subarray(8))); // clock sequence and node unchanged
    }
  });
});

describe('UuiddResponder', () => {
  const responder = (time = countingTime(), extra = {}) =>
    new UuiddResponder({ pid: 77, time, random: fixedRandom, ...extra });

  it('answers GETPID and GET_MAXOP', () => {
    expect(responder().answer({ op: UUIDD_OP_GETPID }).reply).toEqual({ op: 0, pid: 77 });
    expect(responder().answer({ op: UUIDD_OP_GET_MAXOP }).reply).toEqual({ op: 1, maxOp: 5 });
  });

  it('stamps version 4 and the RFC variant on random UUIDs', () => {
    const reply = responder().answer({ op: UUIDD_OP_RANDOM_UUID }).reply as { uuid: Uint8Array };
    expect(hex(reply.uuid)).toBe('ffffffffffff4fffbfffffffffffffff');
  });

  it("makes distinct v4 UUIDs with the package's v4 when no random source is given", () => {
    const r = new UuiddResponder({ pid: 1, time: countingTime() });
    const reply = r.answer({ op: UUIDD_OP_BULK_RANDOM_UUID, count: 63 }).reply as { uuids: Uint8Array };
    const seen = new Set<string>();
    for (let at = 0; at < reply.uuids.length; at += 16) {
      const uuid = reply.uuids.subarray(at, at + 16);
      expect(uuid[6]! >> 4).toBe(4);
      expect(uuid[8]! >> 6).toBe(2);
      seen.add(hex(uuid));
    }
    expect(seen.size).toBe(63);
  });

  it('caps bulk random at 63, gives 1 for a negative count and 0 for 0, as util-linux', () => {
    const count = (n: number) => (responder().answer({ op: 5, count: n }).reply as { count: number }).count;
    expect([count(10), count(63), count(64), count(100000), count(0), count(-5)]).toEqual([
      10, 63, 63, 63, 0, 1,
    ]);
    expect(
      (
        responder(countingTime(), { maxBulkRandom: 500 }).answer({ op: 5, count: 500 }).reply as {
          count: number;
        }
      ).count,
    ).toBe(500);
  });

  it('reserves the whole requested bulk time range and echoes the count', () => {
    const time = countingTime();
    const r = responder(time);
    const reply = r.answer({ op: UUIDD_OP_BULK_TIME_UUID, count: 1000 }).reply as {
      uuid: Uint8Array;
      count: number;
    };
    expect(reply.count).toBe(1000);
    expect(ticksOf(reply.uuid)).toBe(0n);
    const after = r.answer({ op: UUIDD_OP_TIME_UUID }).reply as { uuid: Uint8Array };
    expect(ticksOf(after.uuid)).toBe(1000n);
  });

  it('echoes a zero or negative bulk time count and reserves one tick', () => {
    const time = countingTime();
    const r = responder(time);
    expect((r.answer({ op: 4, count: 0 }).reply as { count: number }).count).toBe(0);
    expect((r.answer({ op: 4, count: -3 }).reply as { count: number }).count).toBe(-3);
    expect(time.handedOut).toBe(2n);
  });

  it('refuses a bulk time count above the cap instead of handing out ticks it did not reserve', () => {
    const time = countingTime();
    const answer = responder(time).answer({ op: 4, count: UUIDD_BULK_TIME_MAX + 1 });
    expect(answer.reply).toBeUndefined();
    expect(answer.refused).toMatch(/exceeds the cap of 1048576/);
    expect(time.handedOut).toBe(0n);
  });
});

describe('uniqueness through the responder with the real generator', () => {
  it('hands out no duplicate across singles and bulks of 10 while the clock steps back and restarts happen', () => {
    let now = Date.UTC(2026, 0, 1);
    let saved: ClockSequenceState | undefined;
    const store = {
      load: () => saved,
      save: (state: ClockSequenceState) => {
        saved = state;
      },
    };
    const seen = new Set<string>();
    let duplicates = 0;
    const take = (uuid: Uint8Array) => {
      const key = hex(uuid);
      if (seen.has(key)) duplicates++;
      seen.add(key);
    };
    for (let life = 0; life < 4; life++) {
      // A restart on the same state (the daemon was killed), with the clock stepped back each time.
      const time = new TimeUuidGenerator({ clock: () => now, store });
      const r = new UuiddResponder({ pid: 1, time, random: fixedRandom });
      for (let i = 0; i < 3000; i++) {
        if (i % 500 === 0) now -= 1500; // the clock steps back 1.5 s
        if (i % 3 === 0) now += 1;
        if (i % 2 === 0) take((r.answer({ op: 2 }).reply as { uuid: Uint8Array }).uuid);
        else {
          const reply = r.answer({ op: 4, count: 10 }).reply as { uuid: Uint8Array; count: number };
          for (const uuid of expandUuiddBulkTime(reply.uuid, 10)) take(uuid);
        }
      }
      now -= 60_000; // and back a minute between lives
    }
    expect(seen.size).toBe(4 * (1500 + 1500 * 10));
    expect(duplicates).toBe(0);
  });
});
