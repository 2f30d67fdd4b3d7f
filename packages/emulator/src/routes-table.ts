/** Route names by method and path, so that a request refused by a fault before routing is still named. */
const TABLE: Array<[string, RegExp, string]> = [
  ['GET', /^\/scenario\/v1\/models$/, 'scenario.models.list'],
  ['GET', /^\/scenario\/v1\/models\/public$/, 'scenario.models.public'],
  ['POST', /^\/scenario\/v1\/models$/, 'scenario.models.create'],
  ['GET', /^\/scenario\/v1\/models\/[^/]+$/, 'scenario.models.get'],
  ['POST', /^\/scenario\/v1\/models\/[^/]+\/training-images$/, 'scenario.models.trainingImages.add'],
  [
    'DELETE',
    /^\/scenario\/v1\/models\/[^/]+\/training-images\/[^/]+$/,
    'scenario.models.trainingImages.delete',
  ],
  ['PUT', /^\/scenario\/v1\/models\/[^/]+\/training-images\/pairs$/, 'scenario.models.trainingImages.pairs'],
  ['PUT', /^\/scenario\/v1\/models\/[^/]+\/train$/, 'scenario.models.train'],
  ['POST', /^\/scenario\/v1\/models\/[^/]+\/train\/action$/, 'scenario.models.train.action'],
  ['GET', /^\/scenario\/v1\/jobs$/, 'scenario.jobs.list'],
  ['GET', /^\/scenario\/v1\/jobs\/[^/]+$/, 'scenario.jobs.get'],
  ['POST', /^\/scenario\/v1\/jobs\/[^/]+\/action$/, 'scenario.jobs.action'],
  ['GET', /^\/scenario\/v1\/assets\/[^/]+$/, 'scenario.assets.get'],
  ['POST', /^\/scenario\/v1\/generate\/txt2img$/, 'scenario.generate.txt2img'],
  ['POST', /^\/scenario\/v1\/generate\/custom\/[^/]+$/, 'scenario.generate.custom'],
  ['POST', /^\/modelslab\/api\/v6\/images\/text2img$/, 'modelslab.text2img'],
  ['POST', /^\/modelslab\/api\/v6\/images\/fetch(\/[^/]+)?$/, 'modelslab.fetch'],
  ['POST', /^\/modelslab\/api\/v3\/lora_fine_tune$/, 'modelslab.training.create'],
  ['POST', /^\/modelslab\/api\/v3\/fine_tune_status\/[^/]+$/, 'modelslab.training.status'],
  ['POST', /^\/modelslab\/api\/v3\/(cancel_training|cancle_training)\/[^/]+$/, 'modelslab.training.cancel'],
  ['POST', /^\/modelslab\/api\/v3\/(delete|finetune\/delete)\/[^/]+$/, 'modelslab.training.delete'],
  ['POST', /^\/modelslab\/api\/v3\/finetune_list$/, 'modelslab.training.list'],
  ['POST', /^\/modelslab\/api\/v3\/base64_crop$/, 'modelslab.base64Crop'],
  ['GET', /^\/files\/.+$/, 'files.get'],
];

/**
 * The stable name of the route a request is for (`unmatched` when none).
 *
 * @example
 * routeNameFor('PUT', '/scenario/v1/models/model_x/train'); // 'scenario.models.train'
 */
export function routeNameFor(method: string, path: string): string {
  for (const [m, re, name] of TABLE) if (m === method && re.test(path)) return name;
  return 'unmatched';
}
