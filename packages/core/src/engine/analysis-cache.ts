// What the engine remembers about the documents it was given, so validate-then-run, explain-then-run,
// a warm re-run and an editor's keystroke do not analyse and plan the graph again.
import type { GraphDocument } from '../document';
import { documentLimitIssues, MAX_DOCUMENT_DEPTH } from '../document-limits';
import { GraphError } from '../errors';
import type { Issue } from '../issues';
import { isDeepFrozen } from '../json';
import type { AnyNodeDefinition, NodeRegistry } from '../node';
import { type Analysis, analyseGraph, checkNode, pushParamIssues } from '../validate';
import { changedSince, type DocSnapshot, refreshParams, takeSnapshot } from './doc-snapshot';
import type { NodeKeys } from './keys';
import { buildPlan, type InternalPlan, patchPlan } from './plan';

// nodes re-checked on their own before a full analysis is the simpler, equally fast choice
const MAX_PATCHED = 8;

/**
 * The analyses and plans one engine keeps. What it holds, and when each is dropped:
 *
 * | held | for | dropped when |
 * | --- | --- | --- |
 * | `frozen`: document → analysis | deeply frozen documents (they cannot change) | the document is garbage, or packs were registered since (the stamp) |
 * | `previous`: the last frozen document and its analysis | the base of an incremental re-check (an editor's keystroke) | the next frozen document takes its place |
 * | `snapshot`: the last plain document's analysis and a copy of what it was made from | plain documents, which may change between calls | another plain document is analysed; a change it cannot patch; params it cannot copy |
 * | `derived`: patched analysis → the analysis it came from and the nodes re-checked | patching that analysis's plan | its plan is made, or it is itself patched (one link, never a chain) |
 * | `plans`: analysis → targets → plan (with its pure keys) | a document analysed before | its analysis is garbage (it lives exactly as long) |
 *
 * An analysis is reused only for a document that did not change since (or changed only in params,
 * labels or positions of at most eight nodes, re-checked one by one), so its plans are still right.
 */
export class AnalysisCache {
  private readonly registry: NodeRegistry;
  private readonly keys: NodeKeys;
  private readonly frozen = new WeakMap<object, { stamp: string; analysis: Analysis }>();
  private previous: { doc: GraphDocument; analysis: Analysis; stamp: string } | undefined;
  private snapshot: DocSnapshot | undefined;
  private readonly derived = new WeakMap<Analysis, { from: Analysis; changed: string[] }>();
  private readonly plans = new WeakMap<Analysis, Map<string, InternalPlan>>();

  constructor(registry: NodeRegistry, keys: NodeKeys) {
    this.registry = registry;
    this.keys = keys;
  }

  /** The analysis of a document, kept or re-checked when that is safe, else made afresh. */
  analyse(doc: unknown): Analysis {
    // deeply: a shallowly frozen document could still change underneath a remembered analysis
    const frozen = doc !== null && typeof doc === 'object' && isDeepFrozen(doc);
    // packs only ever add to a registry, so the counts tell whether a kept analysis is out of date
    const stamp = `${this.registry.nodes().length}:${this.registry.types.kinds().length}`;
    if (!frozen) return this.analysePlain(doc, stamp);
    const known = this.frozen.get(doc as object);
    if (known && known.stamp === stamp) return known.analysis;
    const analysis = this.incremental(doc as GraphDocument, stamp) || analyseGraph(doc, this.registry);
    this.frozen.set(doc as object, { stamp, analysis });
    this.previous = { doc: doc as GraphDocument, analysis, stamp };
    return analysis;
  }

  /**
   * The plan of a document for some targets; a GraphError carrying every issue when the document
   * does not validate (`verb` names the call in its message).
   */
  plan(doc: GraphDocument, targets: string[] | undefined, verb: string): InternalPlan {
    return this.planned(doc, targets, verb).plan;
  }

  /** `plan` with the analysis it came from, so a caller needing both (estimate) walks the document once. */
  planned(
    doc: GraphDocument,
    targets: string[] | undefined,
    verb: string,
  ): { plan: InternalPlan; analysis: Analysis } {
    const analysis = this.analyse(doc);
    if (analysis.issues.length > 0) throw new GraphError(analysis.issues, verb);
    let byTargets = this.plans.get(analysis);
    if (!byTargets) {
      byTargets = new Map();
      this.plans.set(analysis, byTargets);
    }
    const id = targets ? JSON.stringify(targets) : '';
    let plan = byTargets.get(id);
    if (!plan) {
      const origin = this.derived.get(analysis);
      const base = origin && this.plans.get(origin.from)?.get(id);
      plan =
        (origin && base && patchPlan(analysis, base, origin.changed, this.keys)) ||
        buildPlan(analysis, targets, verb, this.keys);
      byTargets.set(id, plan);
      // the link to the analysis this one was patched from has served: kept, it would chain every
      // earlier analysis and plan of an editing session into memory (~0.4 MB per edit at 10k nodes)
      this.derived.delete(analysis);
    }
    return { plan, analysis };
  }

  // A plain document can change between two calls (validate, then run), so its analysis is kept
  // with a snapshot of what it was computed from and reused only after a walk over the document finds
  // nothing changed, or only some nodes' params, labels or positions (re-checked incrementally).
  private analysePlain(doc: unknown, stamp: string): Analysis {
    const kept = this.snapshot;
    if (kept && kept.stamp === stamp) {
      const changed = changedSince(doc, kept);
      if (changed && changed.length === 0) return kept.analysis;
      const patched = changed && this.patchAnalysis(doc as GraphDocument, kept.analysis, changed);
      if (patched) {
        kept.analysis = patched;
        for (const slot of changed) if (!refreshParams(kept, slot)) this.snapshot = undefined;
        return patched;
      }
    }
    const analysis = analyseGraph(doc, this.registry);
    this.snapshot = takeSnapshot(doc, analysis, stamp);
    return analysis;
  }

  // The editor's keystroke: the same edges array and the same nodes, a few replaced by nodes with the
  // same id and type (params, position or label edited). Only those are re-checked; everything
  // structural (ports, types, order) is carried over. Anything else falls back to a full analysis.
  private incremental(doc: GraphDocument, stamp: string): Analysis | undefined {
    const prev = this.previous;
    if (!prev || prev.stamp !== stamp) return undefined;
    const before = prev.doc;
    if (
      doc.edges !== before.edges ||
      doc.format !== before.format ||
      doc.version !== before.version ||
      doc.name !== before.name ||
      doc.meta !== before.meta ||
      !Array.isArray(doc.nodes) ||
      doc.nodes.length !== before.nodes.length
    ) {
      return undefined;
    }
    const changed: number[] = [];
    for (let i = 0; i < doc.nodes.length; i++) {
      const now = doc.nodes[i];
      const was = before.nodes[i]!;
      if (now === was) continue;
      if (now === null || typeof now !== 'object' || now.id !== was.id || now.type !== was.type)
        return undefined;
      changed.push(i);
      if (changed.length > MAX_PATCHED) return undefined;
    }
    return this.patchAnalysis(doc, prev.analysis, changed);
  }

  /**
   * An analysis of `doc` made from `pa` (an analysis without issues of the same structure) by
   * re-checking the nodes at the `changed` positions, or undefined when that is not safe.
   */
  private patchAnalysis(doc: GraphDocument, pa: Analysis, changed: number[]): Analysis | undefined {
    // past a handful of changes a full pass costs about the same and is simpler to trust
    if (pa.issues.length > 0 || changed.length > MAX_PATCHED) return undefined;
    const nodes = pa.nodes.slice();
    const checks = pa.checks.slice();
    const issues: Issue[] = [];
    for (const i of changed) {
      const raw = doc.nodes[i]!;
      const slot = pa.slotOf.get(raw.id)!;
      const def = pa.defs[slot];
      // types or rules that depend on params could change what other nodes see
      if (!def || def.validate || hasDynamicTypes(def)) return undefined;
      // a changed node gets the document limits a full analysis applies (too deep, not finite), so a
      // caller that skips its own walk over unchanged nodes (the runtime's admission) loses no check
      // (a node sits two levels down: document, nodes, node)
      if (documentLimitIssues(raw, MAX_DOCUMENT_DEPTH - 2).length > 0) return undefined;
      const check = checkNode(raw, this.registry);
      if (check.shape || check.def !== def) return undefined;
      pushParamIssues(issues, raw, i, check);
      nodes[slot] = raw;
      checks[slot] = check;
    }
    const analysis: Analysis = { ...pa, issues, nodes, checks };
    // one link back, never a chain: `pa` is superseded, so its own link to what came before goes
    this.derived.delete(pa);
    this.derived.set(analysis, { from: pa, changed: changed.map((i) => doc.nodes[i]!.id) });
    return analysis;
  }
}

function hasDynamicTypes(def: AnyNodeDefinition): boolean {
  for (const port in def.inputs ?? {}) if (typeof def.inputs![port]!.type === 'function') return true;
  for (const port in def.outputs) if (typeof def.outputs[port]!.type === 'function') return true;
  return false;
}
