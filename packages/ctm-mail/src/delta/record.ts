/** The first line of a delta: `CTM_BEGIN 2.0 NAME NUMBER YYYYMMDDHHMMSSZ PREFIX`. */
export interface DeltaHeader {
  /** Always `2.0`. */
  readonly version: string;
  /** The CTM service, e.g. `src-cur`. */
  readonly name: string;
  /** The sequence number, as written (decimal digits). */
  readonly number: string;
  /** The creation time, `YYYYMMDDHHMMSSZ` (UTC). */
  readonly timestamp: string;
  /** Unused by ctm(1); `.` by convention. */
  readonly prefix: string;
}

/** Owner, group and mode of a file or directory as a delta records them (decimal, decimal, octal). */
export interface DeltaAttributes {
  readonly uid: string;
  readonly gid: string;
  readonly mode: string;
}

/**
 * The data block of an FM or FS record too big to hold in memory (see `ReadDeltaOptions.streamAbove`): read it with
 * `chunks()`, once, before asking the reader for its next item; each chunk is valid until the next is asked for.
 * @example
 * if (record.stream) for await (const chunk of record.stream.chunks()) file.write(chunk);
 */
export interface DataStream {
  /** The block's size in bytes. */
  readonly size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

/**
 * `CTMFM name uid gid mode md5 count` + data: make a new file. Names here and in every record are byte strings:
 * one character per byte of the delta (as Node's `latin1` encoding reads them), never decoded as UTF-8.
 */
export interface FileMake extends DeltaAttributes {
  readonly key: 'FM';
  readonly name: string;
  readonly md5After: string;
  /** The new content; empty when it comes as `stream` instead. */
  readonly data: Uint8Array;
  /** The new content, when it is too big to hold (only if the reader was asked to stream). */
  readonly stream?: DataStream;
}

/** `CTMFS`/`CTMFN`/`CTMFE name uid gid mode md5before md5after count` + data. */
export interface FileChange extends DeltaAttributes {
  /** FS: the data is the new content; FN: a `diff -n` script; FE: an `ed` script. */
  readonly key: 'FS' | 'FN' | 'FE';
  readonly name: string;
  readonly md5Before: string;
  readonly md5After: string;
  /** FS: the new content (empty when it comes as `stream`); FN/FE: the script. */
  readonly data: Uint8Array;
  /** FS only: the new content, when it is too big to hold (only if the reader was asked to stream). */
  readonly stream?: DataStream;
}

/** `CTMFR name md5`: remove a file that has this MD5. */
export interface FileRemove {
  readonly key: 'FR';
  readonly name: string;
  readonly md5Before: string;
}

/** `CTMAS name uid gid mode`: new attributes of a file. */
export interface AttributeSet extends DeltaAttributes {
  readonly key: 'AS';
  readonly name: string;
}

/** `CTMDM name uid gid mode`: make a directory. */
export interface DirMake extends DeltaAttributes {
  readonly key: 'DM';
  readonly name: string;
}

/** `CTMDR name`: remove a directory and what is left in it. */
export interface DirRemove {
  readonly key: 'DR';
  readonly name: string;
}

/** One record of a ctm(5) delta. */
export type DeltaRecord = FileMake | FileChange | FileRemove | AttributeSet | DirMake | DirRemove;

/** The record keys of ctm(5), after the `CTM` prefix. */
export type RecordKey = DeltaRecord['key'];

/** The name of the status file at the top of a tree: `NAME NUMBER`. */
export const STATUS_FILE = '.ctm_status';

/**
 * The journal a tree carries while a delta is being applied: `NAME NUMBER MD5`. A rerun of the same delta finds it
 * and treats removals already done and directories already made as done.
 */
export const JOURNAL_FILE = '.ctm_applying';
