import { z } from 'zod';

/** What a hospital's FHIR server holds that becomes a record (issue 13's default set). */
export const DEFAULT_RESOURCE_TYPES = [
  'DiagnosticReport',
  'Observation',
  'DocumentReference',
  'MedicationRequest',
  'MedicationDispense',
  'Immunization',
] as const;

const auth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** A long-lived token the FHIR server's operators issued; a secret. */
  z.strictObject({ type: z.literal('bearer'), token: z.string().min(1) }),
  /**
   * SMART Backend Services: the client_credentials grant with a JWT signed by our registered key
   * (RS384 or ES384), as the server's authorization server expects.
   */
  z.strictObject({
    type: z.literal('smart-backend'),
    tokenUrl: z.url({ protocol: /^https?$/ }),
    clientId: z.string().min(1),
    /** PEM file of the private key registered with the authorization server. */
    privateKeyFile: z.string().min(1),
    /** `kid` of that key in the JWKS the server knows. */
    keyId: z.string().min(1),
    scope: z.string().min(1).default('system/*.rs'),
  }),
]);

export const fhirServerSchema = z.strictObject({
  /** Names the server in workflow ids (`fhir:<name>:<type>/<id>/<version>`): keep it stable. */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, ".", "_" or "-"'),
  baseUrl: z.url({ protocol: /^https?$/ }),
  auth: auth.default({ type: 'none' }),
  resourceTypes: z
    .array(z.string().regex(/^[A-Z][A-Za-z]{1,63}$/, 'expected a FHIR resource type'))
    .min(1)
    .default([...DEFAULT_RESOURCE_TYPES]),
  /**
   * Which of the Patient's identifiers names the patient (its `system` becomes the assigning
   * authority); the first identifier with a system and a value when omitted.
   */
  patientIdentifierSystem: z.string().min(1).optional(),
  /** The engine identity (its local name) that signs this server's records. */
  hospital: z.string().min(1),
  /** Resources per page (`_count`). */
  pageSize: z.number().int().min(1).max(1000).default(100),
  /** How often the server is asked for what changed. */
  pollSeconds: z.number().min(0.1).default(30),
  /**
   * Each pull starts this far before the last change already taken, so a version committed late
   * with an earlier `lastUpdated` is still seen; what is seen twice is one job and one record.
   */
  overlapSeconds: z.number().min(0).default(120),
  /** Where a server never pulled before starts (default: its whole history). */
  since: z.iso.datetime({ offset: true }).optional(),
});

export type FhirServer = z.infer<typeof fhirServerSchema>;

export const fhirServersSchema = z
  .array(fhirServerSchema)
  .min(1, 'list at least one FHIR server')
  .refine((servers) => new Set(servers.map((s) => s.name)).size === servers.length, 'server names must be unique');
