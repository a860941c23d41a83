import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { withEngine } from './engine-client.js';
import { operatorSigner } from '../engine/operators.js';
import { authorize } from '../../core/operators/authorization.js';
import { LOCAL_ROLES, localRole } from '../engine/organisation.js';
import {
  DEFAULT_OFFER_DAYS,
  enrolmentCodeId,
  generateEnrolmentCode,
  MAX_OFFER_DAYS,
  sealEnrolmentOffer,
} from '../../core/enrolment/offer.js';
import { withEngineState } from '../engine/open.js';

/** The hospital operator's side: commands that act for the organisation, not for a person. */
export function operatorCommands(program: Command, config: () => Config): void {
  program
    .command('enrol')
    .requiredOption('--account <address>', "the patient's registered account")
    .requiredOption('--authority <authority>', 'assigning authority of the identifier (PID-3 CX.4)')
    .requiredOption('--identifier <id>', "the hospital's patient identifier (PID-3 CX.1)")
    .description(
      "map the hospital's patient identifier to the patient's account; records waiting for them are anchored at once",
    )
    .action(async (options: { account: string; authority: string; identifier: string }) => {
      const operator = await operatorSigner(config());
      const result = await withEngine(config(), (engine) =>
        engine.workflows.execute.enrolPatient(
          authorize(operator, 'enrolPatient', {
            patient: { authority: options.authority, identifier: options.identifier },
            account: options.account,
          }),
        ),
      );
      console.log(`enrolled ${options.account}; ${result.woken} waiting record(s) woken`);
    });

  program
    .command('enrol-code')
    .requiredOption('--authority <authority>', 'assigning authority of the identifier (PID-3 CX.4)')
    .requiredOption('--identifier <id>', "the hospital's patient identifier (PID-3 CX.1)")
    .option('--days <n>', `how long the code may be redeemed (at most ${MAX_OFFER_DAYS})`, String(DEFAULT_OFFER_DAYS))
    .description(
      "a one-time code the patient redeems in their wallet to be enrolled under this identifier; printed once, kept only as the operator's signed offer sealed under it",
    )
    .action(async (options: { authority: string; identifier: string; days: string }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1 || days > MAX_OFFER_DAYS)
        throw new Error(`--days must be a whole number from 1 to ${MAX_OFFER_DAYS}, not ${options.days}`);
      const operator = await operatorSigner(config());
      const code = generateEnrolmentCode();
      const expiresAt = Date.now() + days * 24 * 60 * 60 * 1000;
      const offer = authorize(operator, 'enrolmentOffer', {
        patient: { authority: options.authority, identifier: options.identifier },
        codeId: enrolmentCodeId(code),
        expiresAt,
      });
      await withEngineState(config().home, (state) =>
        state.addEnrolmentOffer({
          codeId: offer.codeId,
          sealed: sealEnrolmentOffer(code, offer),
          expiresAt: new Date(expiresAt).toISOString(),
        }),
      );
      console.error(
        `give this code to the patient; it enrols one wallet once, until ${new Date(expiresAt).toISOString()}, and is not shown again:`,
      );
      console.log(code);
    });

  program
    .command('identity')
    .argument('<name>', 'its name in the Directory, and the name HL7 routing refers to it by')
    .requiredOption(
      '--role <role>',
      `${Object.keys(LOCAL_ROLES).join(', ')}: the organisation (a hospital, or a manufacturer, carrier or pharmacy whose ERP reports trace events, or a regulator reading the audit report) or a doctor whose records the engine signs`,
    )
    .description(
      'CA operator: create an identity whose keys the engine holds, to sign the records it anchors or the trace steps its ERP reports',
    )
    .action(async (name: string, options: { role: string }) => {
      const role = localRole(options.role);
      const operator = await operatorSigner(config());
      const created = await withEngine(config(), (engine) =>
        engine.workflows.execute.registerIdentity(authorize(operator, 'registerIdentity', { name, role })),
      );
      console.log(`${name}: ${created.address} (keys in the engine keystore)`);
    });

  program
    .command('revoke')
    .requiredOption('--account <address>', 'the account to revoke in the Directory')
    .description(
      'CA operator: revoke an identity; from then on it may not write, and what it wrote before stays valid history',
    )
    .action(async (options: { account: string }) => {
      if (!/^0x[0-9a-fA-F]{40}$/.test(options.account))
        throw new Error(`--account must be a 0x address, not ${options.account}`);
      const operator = await operatorSigner(config());
      const account = options.account.toLowerCase() as `0x${string}`;
      const result = await withEngine(config(), (engine) =>
        engine.workflows.execute.revokeIdentity(authorize(operator, 'revokeIdentity', { account })),
      );
      console.log(`revoked ${account} in block ${result.revokedAt}`);
    });
}
