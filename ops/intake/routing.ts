import { authorize } from '../../core/operators/authorization.js';
import { Role } from '../../core/roles.js';
import type { EngineState } from '../../activities/state/index.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import {
  identityNames,
  openRouting,
  routingSchema,
  type IdentityAccounts,
  type RoutingConfig,
} from '../../connectors/hl7/routing.js';
import type { Config } from '../config/index.js';
import { operatorSigner } from '../engine/operators.js';
import { readJsonSetting } from '../config/json-file.js';

export interface LoadedRouting {
  routing: RoutingConfig;
  /** Where it came from, for the start-up line. */
  source: string;
}

/** The routing file named by YILIAN_HL7_ROUTES, every problem named by its path; else the open routing. */
export async function loadRouting(config: Config): Promise<LoadedRouting> {
  const file = config.mllp.routes;
  if (file === undefined) return { routing: openRouting(config.mllp.hospital), source: 'open (every facility)' };
  return { routing: await readJsonSetting('YILIAN_HL7_ROUTES', file, routingSchema), source: file };
}

/**
 * The accounts of the engine identities a routing names. Under the open routing the hospital
 * identity is created on first start (by the embedded operator); a configured routing must name
 * identities the engine already holds, so a typo stops start-up instead of refusing a feed.
 */
export async function routingAccounts(
  config: Config,
  routing: RoutingConfig,
  state: EngineState,
  workflows: WorkflowStarter,
): Promise<IdentityAccounts> {
  const { accounts, missing } = await engineIdentities(state, identityNames(routing));
  if (config.mllp.routes === undefined && missing.includes(config.mllp.hospital)) {
    const operator = await operatorSigner(config);
    const created = await workflows.execute.registerIdentity(
      authorize(operator, 'registerIdentity', { name: config.mllp.hospital, role: Role.Hospital }),
    );
    accounts.set(config.mllp.hospital, created.address);
    return accounts;
  }
  if (missing.length > 0)
    throw new Error(
      `the HL7 routing names engine identities this engine does not hold: ${missing.join(', ')}; ` +
        `create each with \`yilian operator identity "<name>" --role hospital|doctor\``,
    );
  return accounts;
}

/** The accounts of the engine identities with these names, and the names the engine does not hold. */
export async function engineIdentities(
  state: EngineState,
  names: Iterable<string>,
): Promise<{ accounts: Map<string, string>; missing: string[] }> {
  const accounts = new Map<string, string>();
  const missing: string[] = [];
  for (const name of new Set(names)) {
    const held = await state.localIdentity(name);
    if (held) accounts.set(name, held.address);
    else missing.push(name);
  }
  return { accounts, missing };
}
