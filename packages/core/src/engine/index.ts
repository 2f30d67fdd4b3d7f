// createEngine: the wiring of the engine's parts (see docs/decisions/0013-engine-in-parts.md).
import { GraphError } from '../errors';
import { type HashFn, sha256Hex } from '../hash';
import { ISSUE_CODES } from '../issues';
import { createRedactor } from '../redact';
import { type CacheStore, createMemoryStore, type Journal } from '../store';
import { analyseGraph, typesOfAnalysis } from '../validate';
import { AnalysisCache } from './analysis-cache';
import type { Engine, EngineOptions } from './api';
import { CacheAccess } from './cache-access';
import { CLAIM_TTL_MS, ClaimGate } from './claims';
import { estimatePlan } from './estimate';
import { explainPlan, LastSeen } from './explain';
import { NodeKeys } from './keys';
import { checkOptions, EngineOptionsSchema, RunOptionsSchema } from './options';
import { publicPlan } from './plan';
import { Run, type RunParts } from './run';

export type {
  Engine,
  EngineOptions,
  ExplainEntry,
  ExplainReason,
  NodeEstimate,
  Plan,
  PlanStep,
  RunOptions,
} from './api';

/**
 * Creates an engine. A graph that does not validate is a programming error for `plan`, `explain`
 * and `run`: they throw a `GraphError` carrying every issue. Node failures are values in the result.
 *
 * @example
 * const engine = createEngine({ registry: createRegistry(mathPack), secrets: [process.env.API_KEY!] });
 * const handle = engine.run(doc);
 * handle.subscribe((e) => console.log(e.type));
 * const { status, nodes } = await handle.result;
 */
export function createEngine(options: EngineOptions): Engine {
  checkOptions(EngineOptionsSchema, options, 'createEngine');
  const registry = options.registry;
  const cache: CacheStore = options.cache ?? createMemoryStore(options.hash ? { hash: options.hash } : {});
  const journal: Journal =
    options.journal ??
    (isJournal(cache) ? cache : createMemoryStore(options.hash ? { hash: options.hash } : {}));
  const hash: HashFn = options.hash ?? sha256Hex;
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const now = options.now ?? Date.now;
  const services =
    options.services instanceof Map ? options.services : new Map(Object.entries(options.services ?? {}));
  let runCounter = 0;
  const keys = new NodeKeys(hash, services);
  const analyses = new AnalysisCache(registry, keys);
  const access = new CacheAccess(cache, journal);
  const claims = new ClaimGate(cache.claims, options.claimTtlMs ?? CLAIM_TTL_MS, now);
  const seen = new LastSeen();
  const parts: RunParts = {
    access,
    claims,
    keys,
    seen,
    types: registry.types,
    services,
    blobs: {
      put: (bytes, mime) => cache.putBlob(bytes, mime),
      get: (ref) => cache.getBlob(ref.$blob),
    },
    secrets,
    redact: createRedactor({ ...(options.redact ? { redact: options.redact } : {}), secrets }),
    now,
    concurrency: Math.max(1, Math.floor(options.concurrency ?? 8)),
    limits: options.limits ?? {},
    cancelGraceMs: options.cancelGraceMs ?? 10_000,
    createRunId:
      options.createRunId ??
      (() =>
        `run-${now().toString(36)}-${(runCounter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`),
  };

  return {
    registry,
    cache,
    journal,
    hash,
    validate: (doc) => {
      const { issues } = analyses.analyse(doc);
      // a copy: the analysis of a document is kept, and a caller may sort or trim what it gets
      return { ok: issues.length === 0, issues: [...issues] };
    },

    connectedTypes: (doc) => {
      const analysis = analyses.analyse(doc);
      // an incrementally patched analysis with issues keeps the output types from before the edit
      // (plan and run refuse it anyway): a document with issues is analysed in full here
      return typesOfAnalysis(analysis.issues.length > 0 ? analyseGraph(doc, registry) : analysis);
    },

    plan(doc, o = {}) {
      const plan = analyses.plan(doc, o.targets, 'plan');
      return publicPlan(plan, keys.staticKeys(plan));
    },

    async explain(doc, o = {}) {
      const plan = analyses.plan(doc, o.targets, 'explain');
      return explainPlan(plan, keys.staticKeys(plan), access, seen);
    },

    async estimate(doc, o = {}) {
      // one analysis for both: a second `analyse` would walk a plain document again
      const { plan, analysis } = analyses.planned(doc, o.targets, 'estimate');
      const entries = await explainPlan(plan, keys.staticKeys(plan), access, seen, true);
      return estimatePlan(plan, analysis, entries, {
        access,
        services,
        redact: parts.redact,
      });
    },

    run(doc, o = {}) {
      checkOptions(RunOptionsSchema, o, 'engine.run');
      const { plan, analysis } = analyses.planned(doc, o.targets, 'run');
      // a misspelt node to refresh would otherwise refresh nothing, silently
      const unknown =
        o.refresh === 'all' || !o.refresh ? [] : o.refresh.filter((id) => !analysis.slotOf.has(id));
      if (unknown.length > 0)
        throw new GraphError(
          unknown.map((id) => ({
            path: ['refresh', o.refresh!.indexOf(id)],
            code: ISSUE_CODES.unknownRefresh,
            message: `The node to refresh "${id}" is not a node of this graph.`,
          })),
          'run',
        );
      return new Run(plan, o, parts).handle;
    },
  };
}

function isJournal(value: unknown): value is Journal {
  return (
    typeof (value as Journal).getRecord === 'function' && typeof (value as Journal).putRecord === 'function'
  );
}
