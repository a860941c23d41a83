/**
 * Roles in the Directory contract (a uint8 there; 0 means "not registered"). The one list every
 * layer reads: the CA registers with them, activities check them, the CLI names them.
 */
export const Role = {
  CA: 1,
  Hospital: 2,
  Doctor: 3,
  Patient: 4,
  Pharmacy: 5,
  Research: 6,
  Manufacturer: 7,
  Carrier: 8,
  Regulator: 9,
} as const;

export type Role = (typeof Role)[keyof typeof Role];
export type RoleName = keyof typeof Role;

const names = new Map<number, RoleName>(Object.entries(Role).map(([name, role]) => [role, name as RoleName]));

/** `Doctor` for 3; `role 42` for a number the Directory does not define. */
export function roleName(role: number): string {
  return names.get(role) ?? `role ${role}`;
}

export function isRole(value: number): value is Role {
  return names.has(value);
}

/**
 * Who may receive a grant of a patient's record: doctors, pharmacies, research institutes, and
 * regulators, who see no content without one (docs/design.md § Audit and the regulator).
 */
export const GRANTEE_ROLES: ReadonlySet<Role> = new Set([Role.Doctor, Role.Pharmacy, Role.Research, Role.Regulator]);

/** Who may create records (RecordRegistry checks it): hospitals and doctors. */
export const RECORD_AUTHOR_ROLES: ReadonlySet<Role> = new Set([Role.Hospital, Role.Doctor]);

/** Who may push trace steps (DrugTrace checks it): manufacturers, carriers and pharmacies. */
export const TRACE_ROLES: ReadonlySet<Role> = new Set([Role.Manufacturer, Role.Carrier, Role.Pharmacy]);

/** Roles of people who keep their own keys in a wallet, by the names the CLI takes. */
export const PERSON_ROLES = {
  patient: Role.Patient,
  doctor: Role.Doctor,
  pharmacy: Role.Pharmacy,
  research: Role.Research,
  regulator: Role.Regulator,
} as const;
