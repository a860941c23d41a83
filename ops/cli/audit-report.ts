import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { parsePeriod } from '../../core/audit/period.js';

const FORMATS = ['json', 'fhir'] as const;
type Format = (typeof FORMATS)[number];

/** `yilian audit report`: what was anchored, granted, traced and refused in a period. */
export function auditReportCommand(audit: Command, config: () => Config): void {
  audit
    .command('report')
    .requiredOption('--from <time>', 'start of the period (ISO-8601 with its zone, or 24h, 7d ago)')
    .option('--to <time>', 'end of the period (default: now)')
    .option('--format <format>', `${FORMATS.join(' or ')} (a FHIR R4 Bundle of AuditEvent and Provenance)`, 'json')
    .description(
      'report what was anchored, granted, traced and refused in a period, from the chain, the Directory and the engine’s closed workflows: integrity, authorship, counts and timing, never content',
    )
    .action(async (options: { from: string; to?: string; format: string }) => {
      // bad input is refused before anything connects
      const period = parsePeriod(options.from, options.to ?? '0s', { from: '--from', to: '--to' });
      if (!(FORMATS as readonly string[]).includes(options.format))
        throw new Error(`--format must be ${FORMATS.join(' or ')}, not ${JSON.stringify(options.format.slice(0, 40))}`);
      const format = options.format as Format;
      const [{ Client, Connection }, { auditReport }, { auditReportBundle }, { chainClient }, { requireDeployment }] =
        await Promise.all([
          import('@temporalio/client'),
          import('../audit/report.js'),
          import('../../core/audit/fhir.js'),
          import('../chain/connect.js'),
          import('../chain/deployment.js'),
        ]);
      const settings = config();
      const contracts = await requireDeployment(settings.home);
      const connection = await Connection.connect({
        address: settings.temporal.address,
        tls: settings.temporal.tls,
        apiKey: settings.temporal.apiKey,
      });
      try {
        // no payload codec: the report reads visibility and close events, never a payload
        const client = new Client({ connection, namespace: settings.temporal.namespace });
        const report = await auditReport(
          {
            chain: chainClient(settings),
            contracts,
            client,
            intake: { redisUrl: settings.redis.url, taskQueue: settings.workers.taskQueue },
          },
          period,
        );
        console.log(JSON.stringify(format === 'fhir' ? auditReportBundle(report) : report, null, 2));
      } finally {
        await connection.close();
      }
    });
}
