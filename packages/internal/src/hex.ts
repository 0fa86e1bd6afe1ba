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

/**
 * Bytes as lowercase hex, two digits a byte.
 * @example
 * hexOf(Uint8Array.of(0, 0xab)); // '00ab'
 */
export function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += BYTE_TO_HEX[byte]!;
  return out;
}
