/** Two lowercase hex digits for every byte value. */
export const BYTE_TO_HEX: readonly string[] = /* @__PURE__ */ Array.from({ length: 256 }, (_, i) =>
  (i + 0x100).toString(16).slice(1),
);

/** The value of a hex digit by char code (0-15), or 0xff for anything else; covers char codes 0-127. */
export const HEX_VALUE: Uint8Array = /* @__PURE__ */ (() => {
  const table = new Uint8Array(128).fill(0xff);
  for (let i = 0; i < 10; i++) table[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[0x41 + i] = 10 + i;
    table[0x61 + i] = 10 + i;
  }
  return table;
})();

/** Where the 16 bytes of a UUID start in its 36-character string form. */
export const BYTE_POSITIONS: readonly number[] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
