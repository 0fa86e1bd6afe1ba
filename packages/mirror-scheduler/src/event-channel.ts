/** Fans events out to every async iterator opened on it; each iterator buffers what it has not consumed yet. */
export class EventChannel<T> implements AsyncIterable<T> {
  readonly #readers = new Set<{ buffer: T[]; wake?: () => void }>();
  #closed = false;

  push(value: T): void {
    for (const reader of this.#readers) {
      reader.buffer.push(value);
      reader.wake?.();
    }
  }

  close(): void {
    this.#closed = true;
    for (const reader of this.#readers) reader.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const reader: { buffer: T[]; wake?: () => void } = { buffer: [] };
    this.#readers.add(reader);
    try {
      while (true) {
        const next = reader.buffer.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
        });
        reader.wake = undefined;
      }
    } finally {
      this.#readers.delete(reader);
    }
  }
}
