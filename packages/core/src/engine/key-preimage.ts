import { canonicalJson, type HashFn, quotedName } from '../hash';

/**
 * The tag at the head of every key preimage; bump it when the preimage layout changes.
 *
 * @example
 * keyPreimage(...).startsWith(`["${KEY_SCHEME}"`); // true
 */
export const KEY_SCHEME = 'loraflow.key/1';

/**
 * One connection as it enters a key: the upstream identity, its output port, the connection's settings.
 *
 * @example
 * const input: KeyInput = { port: 'loras', from: upstreamKey, fromPort: 'lora', settings: { scale: 0.5 } };
 */
export interface KeyInput {
  port: string;
  from: string;
  fromPort: string;
  settings: unknown;
}

/**
 * The canonical preimage of a node key: RFC 8785 JSON of
 * `[KEY_SCHEME, type, version, params, [[port, [[fromKey, fromPort, settings], ...]], ...], salt]`,
 * ports in code-unit order, connections in document order. Built by concatenation from canonical
 * parts (equal to `canonicalJson` of that array, which a test checks) because it is on the hot path.
 *
 * @example
 * keyPreimage('math.add', 1, '{}', [], null);
 */
export function keyPreimage(
  type: string,
  version: number,
  paramsCanonical: string,
  inputs: readonly KeyInput[],
  salt: string | null,
): string {
  let ports = '';
  if (inputs.length > 0) {
    const byPort = new Map<string, string[]>();
    for (const input of inputs) {
      const settings = input.settings === undefined ? 'null' : canonicalJson(input.settings);
      const item = `[${JSON.stringify(input.from)},${JSON.stringify(input.fromPort)},${settings}]`;
      const list = byPort.get(input.port);
      if (list) list.push(item);
      else byPort.set(input.port, [item]);
    }
    const names = [...byPort.keys()].sort(compareCodeUnits);
    ports = names.map((p) => `[${JSON.stringify(p)},[${byPort.get(p)!.join(',')}]]`).join(',');
  }
  return `[${JSON.stringify(KEY_SCHEME)},${JSON.stringify(type)},${canonicalJson(version)},${paramsCanonical},[${ports}],${salt === null ? 'null' : JSON.stringify(salt)}]`;
}

/**
 * Sorts strings by UTF-16 code units, as RFC 8785 orders object keys.
 *
 * @example
 * ['b', 'a', 'B'].sort(compareCodeUnits); // ['B', 'a', 'b']
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Turns preimages into keys, remembering recent answers (the editor re-derives the same keys on
 * every keystroke). A limit of 0 remembers nothing.
 *
 * @example
 * const hasher = new KeyHasher(sha256Hex);
 * hasher.digest(keyPreimage('t', 1, '{}', [], null));
 */
export class KeyHasher {
  readonly hash: HashFn;
  private readonly digests = new Map<string, string>();
  private readonly limit: number;

  constructor(hash: HashFn, limit = 200_000) {
    this.hash = hash;
    this.limit = limit;
  }

  /** The key of a preimage. */
  digest(preimage: string): string {
    // a limit of 0 turns the memo off (for a fast hash, looking a preimage up costs about as much as hashing it)
    if (this.limit === 0) return this.hash(preimage);
    const known = this.digests.get(preimage);
    if (known !== undefined) return known;
    const key = this.hash(preimage);
    // a simple bound: dropping everything is cheaper than LRU bookkeeping on the hot path
    if (this.digests.size >= this.limit) this.digests.clear();
    this.digests.set(preimage, key);
    return key;
  }
}

/**
 * A key preimage with everything but the upstream identities and the salt already rendered.
 *
 * @example
 * const preimage = template.render((i) => keys[i]!, null);
 */
export interface KeyTemplate {
  render(identity: (from: number) => string, salt: string | null): string;
}

/**
 * A node's key preimage rendered in one pass, for a key computed once (no template kept). Equal to
 * `keyPreimage` with `identity(from)` as each upstream key (a test checks). Identities must be
 * digests (lowercase hex, as every `HashFn` returns): they are spliced in without escaping.
 *
 * @example
 * renderKeyPreimage('math.add', 1, '{}', [{ port: 'a', from: 0, fromPort: 'out', settings: undefined }], (i) => keys[i], null);
 */
export function renderKeyPreimage(
  type: string,
  version: number,
  paramsCanonical: string,
  wires: ReadonlyArray<{ port: string; from: number; fromPort: string; settings: unknown }>,
  identity: (from: number) => string,
  salt: string | null,
): string {
  const port = wires.length > 0 ? wires[0]!.port : '';
  for (let w = 1; w < wires.length; w++) {
    // several ports need grouping and sorting: the template does that
    if (wires[w]!.port !== port)
      return compileKeyTemplate(type, version, paramsCanonical, wires).render(identity, salt);
  }
  let out = `${prefixOf(type, version)}${paramsCanonical},[`;
  if (wires.length > 0) {
    out += `[${quotedName(port)},[`;
    for (let k = 0; k < wires.length; k++) {
      const w = wires[k]!;
      // identities are hash digests (lowercase hex, see HashFn): nothing to escape
      out += `${k > 0 ? ',["' : '["'}${identity(w.from)}",${quotedName(w.fromPort)},${settingsText(w.settings)}]`;
    }
    out += ']]';
  }
  return `${out}],${salt === null ? 'null' : JSON.stringify(salt)}]`;
}

/**
 * `renderKeyPreimage` for connections kept as columns (the engine's plans), over `begin .. end`,
 * with no salt. Internal to the engine's hot path; equal to `keyPreimage` (a test checks).
 *
 * @example
 * renderKeyPreimageColumns('math.add', 1, '{}', columns, 0, 2, (i) => keys[i]);
 */
export function renderKeyPreimageColumns(
  type: string,
  version: number,
  paramsCanonical: string,
  columns: {
    wirePort: readonly string[];
    wireFrom: ArrayLike<number>;
    wireFromPort: readonly string[];
    wireSettings: readonly unknown[];
  },
  begin: number,
  end: number,
  identity: (from: number) => string,
): string {
  const { wirePort, wireFrom, wireFromPort, wireSettings } = columns;
  const port = end > begin ? wirePort[begin]! : '';
  for (let w = begin + 1; w < end; w++) {
    if (wirePort[w] !== port) {
      // several ports need grouping and sorting: the template does that
      const wires = [];
      for (let k = begin; k < end; k++) {
        wires.push({
          port: wirePort[k]!,
          from: wireFrom[k]!,
          fromPort: wireFromPort[k]!,
          settings: wireSettings[k],
        });
      }
      return compileKeyTemplate(type, version, paramsCanonical, wires).render(identity, null);
    }
  }
  let out = `${prefixOf(type, version)}${paramsCanonical},[`;
  if (end > begin) {
    out += `[${quotedName(port)},[`;
    for (let w = begin; w < end; w++) {
      // identities are hash digests (lowercase hex, see HashFn): nothing to escape
      out += `${w > begin ? ',["' : '["'}${identity(wireFrom[w]!)}",${quotedName(wireFromPort[w]!)},${settingsText(wireSettings[w])}]`;
    }
    out += ']]';
  }
  return `${out}],null]`;
}

function settingsText(settings: unknown): string {
  return settings === undefined || settings === null ? 'null' : canonicalJson(settings);
}

// the preimage's head for a node type and version (the same for every node of that type)
let lastPrefix = { type: '', version: Number.NaN, text: '' };
function prefixOf(type: string, version: number): string {
  if (lastPrefix.type !== type || lastPrefix.version !== version) {
    lastPrefix = {
      type,
      version,
      text: `[${JSON.stringify(KEY_SCHEME)},${JSON.stringify(type)},${canonicalJson(version)},`,
    };
  }
  return lastPrefix.text;
}

/**
 * Pre-renders the parts of a node's key preimage that do not depend on upstream results, so a run
 * only splices in identities. `render` returns exactly what `keyPreimage` returns (a test checks);
 * identities must be digests (lowercase hex), which need no escaping.
 *
 * @example
 * const tpl = compileKeyTemplate('math.add', 1, '{}', [{ port: 'a', from: 0, fromPort: 'out', settings: undefined }]);
 * tpl.render((i) => keys[i], null);
 */
export function compileKeyTemplate(
  type: string,
  version: number,
  paramsCanonical: string,
  wires: ReadonlyArray<{ port: string; from: number; fromPort: string; settings: unknown }>,
): KeyTemplate {
  const prefix = `${prefixOf(type, version)}${paramsCanonical},[`;
  // flat form: preimage = parts[0] + identity(froms[0]) + parts[1] + ... + identity(froms[k-1]) + parts[k] + salt + ']'
  const parts: string[] = [];
  const froms: number[] = [];
  if (wires.length === 0) parts.push(`${prefix}],`);
  else {
    let samePort = true;
    for (let w = 1; w < wires.length; w++) if (wires[w]!.port !== wires[0]!.port) samePort = false;
    let groups: Array<{ port: string; items: Array<{ from: number; fromPort: string; settings: unknown }> }>;
    // the common single-port case (one input, or several on one port) skips the grouping and sorting
    if (samePort) groups = [{ port: wires[0]!.port, items: wires as Array<(typeof wires)[number]> }];
    else {
      const byPort = new Map<string, Array<(typeof wires)[number]>>();
      for (const w of wires) {
        const list = byPort.get(w.port);
        if (list) list.push(w);
        else byPort.set(w.port, [w]);
      }
      groups = [...byPort.keys()].sort(compareCodeUnits).map((port) => ({ port, items: byPort.get(port)! }));
    }
    let text = prefix;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      if (g > 0) text += ',';
      text += `[${JSON.stringify(group.port)},[`;
      for (let k = 0; k < group.items.length; k++) {
        const w = group.items[k]!;
        if (k > 0) text += ',';
        parts.push(`${text}[`);
        froms.push(w.from);
        const settings = w.settings === undefined ? 'null' : canonicalJson(w.settings);
        text = `,${JSON.stringify(w.fromPort)},${settings}]`;
      }
      text += ']]';
    }
    parts.push(`${text}],`);
  }
  return new FlatKeyTemplate(parts, froms);
}

// a class rather than a closure: one small object per node, its method shared on the prototype
class FlatKeyTemplate implements KeyTemplate {
  declare private readonly parts: string[];
  declare private readonly froms: number[];
  constructor(parts: string[], froms: number[]) {
    this.parts = parts;
    this.froms = froms;
  }
  render(identity: (from: number) => string, salt: string | null): string {
    const { parts, froms } = this;
    let out = parts[0]!;
    // identities are hash digests (lowercase hex, see HashFn): nothing to escape
    for (let k = 0; k < froms.length; k++) out += `"${identity(froms[k]!)}"${parts[k + 1]!}`;
    return `${out}${salt === null ? 'null' : JSON.stringify(salt)}]`;
  }
}
