import { createInterface } from 'node:readline';

/** A trace code is tens of characters; a line longer than this is not one. */
const MAX_LINE = 256;

export const TRACE_CODE_ARGUMENT_HELP =
  'the trace code printed on the package, or - (or nothing) to read it from standard input, which keeps it out of the process list and the shell history';

/**
 * The trace code a command was given: the argument, or with `-` or none, the first line of
 * standard input (a barcode scanner types into it; `yilian trace < code.txt` reads a file). A
 * code is a secret: on the command line any user of the machine sees it in the process list.
 */
export async function traceCodeFrom(argument: string | undefined): Promise<string> {
  if (argument !== undefined && argument !== '-') return argument;
  if (process.stdin.isTTY) process.stderr.write('trace code: ');
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) {
      if (line.length > MAX_LINE)
        throw new Error(`the first line of standard input is over ${MAX_LINE} characters: not a trace code`);
      return line.trim();
    }
  } finally {
    lines.close();
  }
  throw new Error('no trace code: give it as the argument, or as a line on standard input');
}
