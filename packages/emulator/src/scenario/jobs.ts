import { pathParam, resource, tagRequest } from '../route-kit';
import { json } from '../vendor-errors';
import { body, type C, page, parse, type ScenarioApi } from './http';
import { actionSchema } from './schemas';
import { endJob, isTerminal, jobStatus, jobView } from './state';
import { cancelTraining } from './training';

function listJobs(c: C, api: ScenarioApi) {
  const t = api.now();
  const { ownerId } = api.owner(c);
  const status = c.req.query('status');
  const type = c.req.query('type');
  const types = c.req.query('types')?.split(',').filter(Boolean);
  const jobs = [...api.state.jobs.values()]
    .reverse()
    .filter(
      (j) =>
        j.ownerId === ownerId &&
        (status === undefined || jobStatus(j, t) === status) &&
        (type === undefined || j.jobType === type) &&
        (types === undefined || types.includes(j.jobType)),
    )
    .sort((a, b) => b.createdAt - a.createdAt);
  const result = page(c, jobs, 10, 200);
  const out: Record<string, unknown> = { jobs: result.items.map((j) => jobView(api.state, j, t)) };
  if (result.next) out.nextPaginationToken = result.next;
  return json(out);
}

/** Jobs: list, get, cancel (a training job's cancel cancels the training). */
export const jobs = resource<ScenarioApi>('scenario.jobs')
  .get('list', '/jobs', listJobs)
  .get('get', '/jobs/:jobId', (c, api) => {
    const jobId = pathParam(c, 'jobId');
    const job = api.visibleJob(c, jobId);
    tagRequest(c, job.modelId ? { jobId, modelId: job.modelId } : { jobId });
    return json({ job: jobView(api.state, job, api.now()) });
  })
  .post('action', '/jobs/:jobId/action', async (c, api) => {
    const jobId = pathParam(c, 'jobId');
    tagRequest(c, { jobId });
    const job = api.visibleJob(c, jobId);
    parse(actionSchema, await body(c));
    const t = api.now();
    if (!isTerminal(jobStatus(job, t))) {
      const model = job.modelId ? api.state.models.get(job.modelId) : undefined;
      if (model?.run?.jobId === job.id) cancelTraining(api.state, model, t);
      else endJob(job, 'canceled', t, 'Canceled by the user');
    }
    return json({ job: jobView(api.state, job, t) });
  });
