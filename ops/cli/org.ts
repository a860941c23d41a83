import type { Command } from 'commander';
import type { EngineState } from '../../activities/state/index.js';
import { issueOrgCredential } from '../../connectors/erp/credentials.js';
import type { Config } from '../config/index.js';
import { withEngineState } from '../engine/open.js';
import { LOCAL_ROLES, localRole, organisationKeys, organisationOption } from '../engine/organisation.js';

/**
 * `yilian org`: the credentials organisations' ERPs use on the API. They live in the engine's
 * state, which these commands open directly on the engine's host, beside the running engine: a
 * credential is configuration an operator changes, not work for a workflow, and going through one
 * would put even the secret's hash in a history.
 */
export function orgCommands(program: Command, config: () => Config): void {
  const org = program
    .command('org')
    .description("ERP credentials: each lets one organisation's system report trace events as that organisation");
  const withState = <T>(work: (state: EngineState) => Promise<T>): Promise<T> => withEngineState(config().home, work);

  org
    .command('keys')
    .argument('<name>', 'the organisation, as the Directory will name it')
    .requiredOption('--role <role>', Object.keys(LOCAL_ROLES).join(', '))
    .option('--organisation <account>', "a doctor's hospital (its Directory account): the card names it")
    .description(
      "make the organisation's keys in this engine's own keystore (the same ones when asked again) and print its identity card, the public half the CA registers with `yilian ca register`",
    )
    .action(async (name: string, options: { role: string; organisation?: string }) => {
      const role = localRole(options.role);
      const organisation = organisationOption(options.organisation, role);
      console.log(JSON.stringify(await organisationKeys(config(), name, role, organisation)));
    });

  org
    .command('issue')
    .argument(
      '<identity>',
      'a manufacturer, carrier, pharmacy or regulator whose keys the engine holds (`yilian identity`)',
    )
    .description('issue a credential for the identity; the token is printed once and only its hash is kept')
    .action(async (name: string) => {
      await withState(async (state) => {
        const identity = await state.localIdentity(name);
        if (!identity)
          throw new Error(`this engine holds no identity named "${name}"; create it with yilian identity first`);
        const { credential, token } = await issueOrgCredential(state, identity);
        console.error(
          `credential ${credential.id} for ${identity.name} (${credential.identityAddress}); the token below is shown ` +
            'once: the ERP sends it as Authorization: Bearer <token>',
        );
        console.log(token);
      });
    });

  org
    .command('revoke')
    .argument('<id>', 'the credential id, as `yilian org list` prints it')
    .description('revoke a credential: requests with it are refused (401) from now on')
    .action(async (id: string) => {
      await withState(async (state) => {
        const revoked = await state.revokeOrgCredential(id);
        if (!revoked) throw new Error(`no credential ${id}`);
        console.log(`revoked ${revoked.id} (${revoked.identityName}) at ${revoked.revokedAt ?? ''}`);
      });
    });

  org
    .command('list')
    .description('every credential: id, identity, when issued and revoked (never a secret)')
    .action(async () => {
      await withState(async (state) => {
        const credentials = await state.orgCredentials();
        if (credentials.length === 0) console.log('no credentials issued');
        for (const c of credentials)
          console.log(
            `${c.id}  ${c.identityName} (${c.identityAddress})  issued ${c.createdAt}` +
              (c.revokedAt ? `  revoked ${c.revokedAt}` : '  active'),
          );
      });
    });
}
