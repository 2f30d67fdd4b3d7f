import type { Context } from 'hono';
import { z } from 'zod';
import type { Core, Env } from '../context';
import { describeIssue, json, readJson } from '../vendor-errors';
import {
  type AssetRecord,
  DEFAULT_PROJECT_ID,
  type JobRecord,
  type ModelRecord,
  type ScenarioState,
} from './state';

/** A hono context of the emulator. */
export type C = Context<Env>;

/** A `{ reason }` error, Scenario's captured error body. */
export const reason = (status: number, text: string): Response => json({ reason: text }, status);

/** Thrown by a route to answer `{ reason }` with `status`; the Scenario app's error handler sends it. */
export class ReasonError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses with zod and answers the first issue in Scenario's words. */
export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ReasonError(400, describeIssue(result.error.issues[0] as z.core.$ZodIssue));
  return result.data;
}

/** The JSON body (`undefined` when empty); malformed JSON is a 400. */
export async function body(c: C): Promise<unknown> {
  try {
    return await readJson(c.req.raw);
  } catch {
    throw new ReasonError(400, 'Invalid JSON body');
  }
}

// Query flags arrive as strings; Scenario accepts `dryRun=true` and the SDK's `dryRun=api`.
export const isDryRun = (c: C): boolean => {
  const v = c.req.query('dryRun');
  return v !== undefined && v !== 'false' && v !== '0';
};

/** The HTTP 269 answer of a dry run. */
export const dryRunAnswer = (cost: number, costDetails: Record<string, number>): Response =>
  json({ creativeUnitsCost: cost, creativeUnitsDiscount: 0, costDetails }, 269);

const encodeToken = (offset: number, limit: number) => btoa(JSON.stringify({ offset, limit }));
const tokenSchema = z.object({ offset: z.number().int().min(0), limit: z.number().int().min(1) });

/** One page of `items` by `pageSize` and the opaque `paginationToken` (base64 of `{offset, limit}`). */
export function page<T>(
  c: C,
  items: T[],
  defaultSize: number,
  maxSize: number,
): { items: T[]; next?: string } {
  const size = parse(z.object({ pageSize: z.coerce.number().int().min(1).max(maxSize).optional() }), {
    pageSize: c.req.query('pageSize'),
  }).pageSize;
  let offset = 0;
  let limit = size ?? defaultSize;
  const token = c.req.query('paginationToken');
  if (token) {
    try {
      const decoded = tokenSchema.parse(JSON.parse(atob(token)));
      offset = decoded.offset;
      limit = size ?? decoded.limit;
    } catch {
      throw new ReasonError(400, 'Invalid paginationToken');
    }
  }
  const slice = items.slice(offset, offset + limit);
  const nextOffset = offset + slice.length;
  return nextOffset < items.length
    ? { items: slice, next: encodeToken(nextOffset, limit) }
    : { items: slice };
}

/** Who a request acts as: the project it names (or the key's default one) and the API user. */
export interface Owner {
  ownerId: string;
  authorId: string;
}

/**
 * What every Scenario sub-app shares: the emulator's services, the state, and the visibility rules
 * (a private resource of another project is a 404, as the vendor scopes by project).
 */
export class ScenarioApi {
  constructor(
    readonly core: Core,
    readonly state: ScenarioState,
    /** The project an account (`scenario-key-<n>`) is bound to, when it has one of its own. */
    readonly projectOf: (account: string) => string | undefined = () => undefined,
  ) {}

  now(): number {
    return this.core.clock.now();
  }

  owner(c: C): Owner {
    const projectId = c.req.query('projectId');
    if (projectId !== undefined && !/^proj_[A-Za-z0-9_-]+$/.test(projectId)) {
      throw new ReasonError(400, `Invalid projectId ${projectId}`);
    }
    const bound = c.env.info.account === undefined ? undefined : this.projectOf(c.env.info.account);
    return { ownerId: projectId ?? bound ?? DEFAULT_PROJECT_ID, authorId: 'apiu_emulator' };
  }

  visibleModel(c: C, id: string): ModelRecord {
    const model = this.state.models.get(id);
    if (!model || (model.privacy === 'private' && model.ownerId !== this.owner(c).ownerId)) {
      throw new ReasonError(404, `Model ${id} not found`);
    }
    return model;
  }

  ownModel(c: C, id: string): ModelRecord {
    const model = this.visibleModel(c, id);
    if (model.privacy !== 'private') throw new ReasonError(403, `Model ${id} belongs to another project`);
    return model;
  }

  visibleJob(c: C, jobId: string): JobRecord {
    const job = this.state.jobs.get(jobId);
    if (!job || job.ownerId !== this.owner(c).ownerId) throw new ReasonError(404, `Job ${jobId} not found`);
    return job;
  }

  /** An asset of the caller's project that exists by now (generated ones appear when their job succeeds). */
  visibleAsset(c: C, assetId: string): AssetRecord {
    const asset = this.state.assets.get(assetId);
    if (!asset || asset.ownerId !== this.owner(c).ownerId || asset.availableAt > this.now()) {
      throw new ReasonError(404, `Asset ${assetId} not found`);
    }
    return asset;
  }
}
