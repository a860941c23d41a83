import type { Command } from 'commander';
import type { EngineState, KeptRegistrationRequest } from '../../activities/state/index.js';
import { initPre } from '../../core/crypto/index.js';
import { authorize } from '../../core/operators/authorization.js';
import { registrationRequestSchema, verifyRegistrationRequest } from '../../core/registration/request.js';
import { roleName } from '../../core/roles.js';
import type { Config } from '../config/index.js';
import { withEngineState } from '../engine/open.js';
import { operatorSigner } from '../engine/operators.js';
import { withEngine } from './engine-client.js';
import { readJsonSetting } from '../config/json-file.js';
import { identityCardSchema } from '../engine/organisation.js';

/**
 * `yilian ca`: a CA operator's side of the registration requests browser wallets send
 * (connectors/http/registration-routes.ts). The requests live in the engine's state, read here on
 * the engine's host as `yilian org` does; approving one signs the operator's own authorization of
 * `registerIdentity` here, so the engine never holds the operator's key.
 */
export function caCommands(program: Command, config: () => Config): void {
  const ca = program.command('ca').description("CA operator: wallets' registration requests");
  const withState = <T>(work: (state: EngineState) => Promise<T>): Promise<T> => withEngineState(config().home, work);
  const pending = async (state: EngineState, id: string): Promise<KeptRegistrationRequest> => {
    const kept = await state.registrationRequest(id);
    if (!kept) throw new Error(`no registration request ${id} (see yilian ca requests)`);
    if (kept.status !== 'pending') throw new Error(`registration request ${id} was already ${kept.status}`);
    return kept;
  };

  ca.command('requests')
    .option('--all', 'also the requests already decided')
    .description('registration requests waiting for a CA operator: id, account, role, name, when received')
    .action(async (options: { all?: boolean }) => {
      await withState(async (state) => {
        const requests = await state.registrationRequests(options.all ? undefined : 'pending');
        if (requests.length === 0) console.log(options.all ? 'no registration requests' : 'no pending requests');
        for (const kept of requests) {
          const { name, role, organisation } = registrationRequestSchema.parse(JSON.parse(kept.request));
          console.log(
            `${kept.id}  ${kept.address}  ${roleName(role)}${organisation ? ` of ${organisation}` : ''}  ${JSON.stringify(name)}  received ${kept.receivedAt}` +
              (kept.status === 'pending' ? '' : `  ${kept.status} ${kept.decidedAt ?? ''}`),
          );
        }
      });
    });

  ca.command('approve')
    .argument('<id>', 'the request id, as `yilian ca requests` prints it')
    .description('register the requesting wallet in the Directory (and publish a patient’s prekeys), signed by you')
    .action(async (id: string) => {
      await withState(async (state) => {
        const kept = await pending(state, id);
        const request = registrationRequestSchema.parse(JSON.parse(kept.request));
        await initPre();
        // the engine checked it on arrival; checked again because the operator's signature is what registers it
        verifyRegistrationRequest(request);
        const { name, role, identity, prekeyBundle, organisation } = request;
        const operator = await operatorSigner(config());
        const registered = await withEngine(config(), (engine) =>
          engine.workflows.execute.registerIdentity(
            authorize(operator, 'registerIdentity', {
              name,
              role,
              identity,
              ...(prekeyBundle ? { prekeyBundle } : {}),
              ...(organisation ? { organisation } : {}),
            }),
          ),
        );
        await state.decideRegistrationRequest(id, {
          status: 'registered',
          transactionHash: registered.transactionHash,
        });
        console.log(
          `registered ${identity.address} as ${roleName(role)} ${JSON.stringify(name)}${organisation ? ` of ${organisation}` : ''}`,
        );
      });
    });

  ca.command('register')
    .argument('<cards...>', "organisations' identity cards, the files `yilian org keys` printed on their own engines")
    .description(
      'register other engines’ organisations in the Directory from their public keys alone, signed by you; their secret keys never leave their engines',
    )
    .action(async (files: string[]) => {
      const cards = await Promise.all(files.map((file) => readJsonSetting('identity card', file, identityCardSchema)));
      const operator = await operatorSigner(config());
      await withEngine(config(), async (engine) => {
        for (const { name, role, address, publicKey, organisation } of cards) {
          const registered = await engine.workflows.execute.registerIdentity(
            authorize(operator, 'registerIdentity', {
              name,
              role,
              identity: { address, publicKey },
              ...(organisation ? { organisation } : {}),
            }),
          );
          console.log(
            `registered ${address} as ${roleName(role)} ${JSON.stringify(name)}` +
              (organisation ? ` of ${organisation}` : '') +
              (registered.transactionHash ? '' : ' (already registered)'),
          );
        }
      });
    });

  ca.command('reject')
    .argument('<id>', 'the request id, as `yilian ca requests` prints it')
    .description('refuse a registration request; the wallet sees it rejected and nothing is registered')
    .action(async (id: string) => {
      await withState(async (state) => {
        await pending(state, id);
        await state.decideRegistrationRequest(id, { status: 'rejected' });
        console.log(`rejected ${id}`);
      });
    });
}
