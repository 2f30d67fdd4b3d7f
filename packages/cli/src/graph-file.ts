import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { FilesService } from '@loraflow/nodes';
import type { RootedFiles } from '@loraflow/runtime/node';
import { type ParseError, parse as parseTolerant, printParseErrorCode } from 'jsonc-parser';
import { CLI_CODES, CliError } from './errors';

/**
 * Graphs larger than this are refused before parsing: training images belong in files, not in a 64 MiB graph.
 *
 * @example
 * if (size > MAX_GRAPH_BYTES) refuse();
 */
export const MAX_GRAPH_BYTES = 64 * 1024 * 1024;

/**
 * Reads a graph file as JSON, refusing a missing, unreadable, oversized or malformed file with the file name, a
 * stable code and a sentence (the line and column of a JSON syntax error).
 *
 * @example
 * const doc = await readGraphFile(resolve(cwd, 'examples/train-from-images.json'), 'examples/train-from-images.json');
 */
export async function readGraphFile(file: string, shownAs: string = file): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile())
      throw new CliError(CLI_CODES.fileUnreadable, [shownAs], 'This is a directory, not a graph file.');
    if (info.size > MAX_GRAPH_BYTES) {
      throw new CliError(
        CLI_CODES.fileTooLarge,
        [shownAs],
        `The graph file is larger than ${MAX_GRAPH_BYTES} bytes.`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CliError(CLI_CODES.fileNotFound, [shownAs], 'There is no such graph file.');
    }
    throw new CliError(
      CLI_CODES.fileUnreadable,
      [shownAs],
      `The graph file cannot be read (${code ?? 'unknown error'}).`,
    );
  }
  return parseGraphText(text, shownAs);
}

/**
 * Parses a graph's JSON text; a syntax error answers with the line and column where it was found.
 *
 * @example
 * parseGraphText('{"format":', 'g.json'); // throws CliError file.not-json at g.json
 */
export function parseGraphText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    // JSON.parse does not say where on every Node version; jsonc-parser does, strictly (no comments).
    const errors: ParseError[] = [];
    parseTolerant(body, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    let where = '';
    if (first) {
      const before = body.slice(0, first.offset);
      const line = before.split('\n').length;
      const column = first.offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column} (${printParseErrorCode(first.error)})`;
    }
    throw new CliError(CLI_CODES.fileNotJson, [file], `The graph file is not valid JSON${where}.`);
  }
}

/**
 * The pack's `files` service for the command: training images are read only inside `root` (`loraflow run`: the graph
 * file's folder; `serve`: `--files-root`, none by default), symlinks resolved, regular files of at most 64 MiB; saved
 * images are written under the output folder and never outside it.
 *
 * @example
 * const files = createFilesService({ root: 'examples', outDir: 'out' });
 * await files.read('images/fox-1.png');
 */
export function createFilesService(o: {
  root: string | undefined;
  outDir: string;
  maxBytes?: number;
}): FilesService & { written: string[] } {
  const written: string[] = [];
  let reader: RootedFiles | undefined;
  return {
    written,
    async read(path, options) {
      // Loaded on first read: validate and schema read graph files but never training images.
      const { createRootedFiles } = await import('@loraflow/runtime/node');
      reader ??= createRootedFiles({
        root: o.root,
        ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
      });
      return reader.read(path, options);
    },
    async write(path, bytes) {
      const full = resolve(o.outDir, path);
      const inside = relative(resolve(o.outDir), full);
      // A prefix is checked by the node, but the files service is the last line against writing outside --out.
      if (inside.startsWith('..') || isAbsolute(inside)) {
        throw new CliError(
          CLI_CODES.outUnwritable,
          [path],
          'Images are only written inside the output folder.',
        );
      }
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, bytes);
      written.push(full);
      return full;
    },
  };
}
