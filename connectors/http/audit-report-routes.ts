import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { EngineState } from '../../activities/state/index.js';
import { auditReportBundle } from '../../core/audit/fhir.js';
import { parsePeriod, PeriodError, type Period } from '../../core/audit/period.js';
import type { AuditReport } from '../../core/audit/report.js';
import { HttpError } from './errors.js';
import { requireRegulator } from './regulator-auth.js';

const querySchema = z.strictObject({
  from: z.string().max(40),
  to: z.string().max(40).optional(),
  format: z.enum(['json', 'fhir']).default('json'),
});

/**
 * `GET /v1/audit/report?from=&to=&format=json|fhir`: the audit report of a period (see
 * `yilian audit report`), for a regulator's credential (./regulator-auth.ts): the report lists who
 * wrote what and when.
 */
export function auditReportRoutes(options: {
  state: EngineState;
  report: (period: Period) => Promise<AuditReport>;
}): Router {
  const router = express.Router();
  router.use(requireRegulator(options.state, 'the audit report'));
  router.get('/', async (request: Request, response: Response) => {
    const query = querySchema.safeParse(request.query);
    if (!query.success)
      throw new HttpError(
        400,
        `bad query: ${query.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; ')}; expected from=<time>&to=<time>&format=json|fhir`,
      );
    let report: AuditReport;
    try {
      report = await options.report(parsePeriod(query.data.from, query.data.to ?? '0s'));
    } catch (error) {
      // a period too long, or spanning too many blocks, is the caller's to split
      if (error instanceof PeriodError) throw new HttpError(400, error.message);
      throw error;
    }
    if (query.data.format === 'fhir')
      response.type('application/fhir+json').send(JSON.stringify(auditReportBundle(report)));
    else response.json(report);
  });
  return router;
}
