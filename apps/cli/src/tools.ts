/** What every tool module exports: a `main` that takes the arguments after the program name. */
export interface ToolModule {
  /** Runs the tool; resolves to its exit status. */
  main(argv: readonly string[]): Promise<number>;
}

/** A tool of the suite, as `suite --help` lists it. */
export interface ToolSpec {
  readonly summary: string;
  readonly load: () => Promise<ToolModule>;
}

/**
 * Every tool of the suite, in the order `suite --help` lists them. Each is imported only when it runs.
 * @example
 * import { tools } from '@suite/cli';
 * Object.keys(tools); // ['uuidgen', 'uuidparse', ...]
 */
export const tools = {
  uuidgen: { summary: 'create a new UUID value', load: () => import('./commands/uuidgen/main.js') },
  uuidparse: {
    summary: 'a utility to parse unique identifiers',
    load: () => import('./commands/uuidparse/main.js'),
  },
  uuidd: {
    summary: 'UUID generation daemon (util-linux wire protocol)',
    load: () => import('./commands/uuidd/main.js'),
  },
  lock: {
    summary: 'run a command while holding a lock, like flock(1)',
    load: () => import('./commands/lock/main.js'),
  },
  mm: {
    summary: 'Mirror Master: run many mirror jobs in parallel',
    load: () => import('./commands/mm/main.js'),
  },
  pkgs_to_mmin: {
    summary: 'turn mirror package files into mm job lines',
    load: () => import('./commands/pkgs_to_mmin/main.js'),
  },
  ctm_smail: {
    summary: 'split a CTM delta into mail pieces and send them',
    load: () => import('./commands/ctm_smail/main.js'),
  },
  ctm_dequeue: {
    summary: 'send queued CTM mail pieces slowly',
    load: () => import('./commands/ctm_dequeue/main.js'),
  },
  ctm_rmail: {
    summary: 'rebuild CTM deltas from mail pieces and apply them',
    load: () => import('./commands/ctm_rmail/main.js'),
  },
  ctm: { summary: 'apply CTM deltas to a tree, and make them', load: () => import('./commands/ctm/main.js') },
} as const satisfies Record<string, ToolSpec>;

/** The name of a tool of the suite. */
export type ToolName = keyof typeof tools;

/** Whether `name` is a tool of the suite. */
export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(tools, name);
}
