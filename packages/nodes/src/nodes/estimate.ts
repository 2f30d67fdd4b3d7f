import type { EstimateArgs as CoreEstimateArgs, Estimate } from '@loraflow/core';
import type { CostEstimate, ScenarioClient } from '@loraflow/providers';
import type { LoraServices } from '../services';

/**
 * What an `estimate` hook receives: core's `EstimateArgs` (params and connection settings parsed as
 * `run` gets them, the connections' types, cached upstream values, the host's services). When the
 * host has no client for the provider, a hook answers `undefined`: cost unknown.
 *
 * @example
 * await loraTrain.estimate?.({ params, inputs, inputTypes, inputSettings, services } as EstimateArgs);
 */
export type EstimateArgs = CoreEstimateArgs;

/**
 * A provider's dry-run answer as a core estimate, in creative units.
 *
 * @example
 * costToEstimate({ kind: 'cost', creativeUnitsCost: 17.75 }); // { amount: 17.75, unit: 'creative-units' }
 */
export function costToEstimate(cost: CostEstimate): Estimate {
  const out: Estimate = { amount: cost.creativeUnitsCost, unit: 'creative-units' };
  if (cost.costDetails) out.detail = { ...cost.costDetails };
  return out;
}

/**
 * Asks for a price when the host configured the `service` the node would use; without it, or when
 * the dry run fails, the cost is unknown (`undefined`), never a failed estimate of the whole graph.
 *
 * @example
 * estimate: (args) => dryRunEstimate(args, 'scenario', (services) => priceOf(services.get('scenario'))),
 */
export async function dryRunEstimate(
  args: Pick<EstimateArgs, 'services'>,
  service: keyof LoraServices,
  dryRun: (services: NonNullable<EstimateArgs['services']>) => Promise<CostEstimate | undefined>,
): Promise<Estimate | undefined> {
  const services = args.services;
  if (!services?.has(service)) return undefined;
  try {
    const cost = await dryRun(services);
    return cost ? costToEstimate(cost) : undefined;
  } catch {
    // the estimate is advice: an unreachable provider leaves the cost unknown
    return undefined;
  }
}

/**
 * Runs a Scenario dry run when a Scenario client is configured (see {@link dryRunEstimate}).
 *
 * @example
 * estimate: (args) => scenarioEstimate(args, (s) => s.generateCustom(base, body, { dryRun: true })),
 */
export function scenarioEstimate(
  args: Pick<EstimateArgs, 'services'>,
  dryRun: (scenario: ScenarioClient) => Promise<CostEstimate | undefined>,
): Promise<Estimate | undefined> {
  return dryRunEstimate(args, 'scenario', (services) => dryRun(services.get<ScenarioClient>('scenario')));
}

/**
 * The cost of training (or finalising) a model of `type`: Scenario prices a training by type and
 * image count, and its dry run needs an existing model id, so the dry run is asked of an
 * existing model of the same type (none: unknown). Nothing is created.
 *
 * @example
 * await trainingDryRun(scenario, 'flux.1-lora', 12);
 */
export async function trainingDryRun(
  scenario: ScenarioClient,
  type: string,
  imagesCount?: number,
): Promise<CostEstimate | undefined> {
  const page = await scenario.listModels({ type, pageSize: 1 });
  const model = page.items[0];
  if (!model) return undefined;
  return scenario.trainModel(model.id, {
    dryRun: true,
    ...(imagesCount !== undefined && imagesCount > 0 ? { trainingImagesCount: imagesCount } : {}),
  });
}
