import type { Client } from 'fhir-kit-client';

/** One version of one resource, as a server's history lists it. */
export interface FhirVersion {
  resourceType: string;
  id: string;
  versionId: string;
  /** ISO instant of this version; servers give none for a delete (HAPI does not). */
  lastUpdated?: string;
  /** The version is a delete (no content). */
  deleted: boolean;
}

interface HistoryEntry {
  fullUrl?: string;
  resource?: { resourceType?: string; id?: string; meta?: { versionId?: string; lastUpdated?: string } };
  request?: { method?: string; url?: string };
  response?: { etag?: string; lastModified?: string };
}

/** A bound on pages per pull, so a server whose `next` links loop cannot hold a puller for ever. */
const MAX_PAGES = 10_000;

/**
 * Every version of `resourceType` changed since `since`, read to the last page, oldest first and
 * each (type, id, version) once. Type-level `_history` rather than a `_lastUpdated` search: a
 * search returns only the current version, and a resource updated twice between two pulls would
 * lose its middle version; history lists every version and every delete. Servers list history
 * newest first (HAPI does) and page boundaries can repeat an entry, hence the sort and de-duplication.
 */
export async function changedVersions(
  client: Client,
  resourceType: string,
  since: string,
  pageSize: number,
): Promise<FhirVersion[]> {
  const found = new Map<string, FhirVersion>();
  let page: Record<string, unknown> | undefined = await client.request(
    `${resourceType}/_history?_since=${encodeURIComponent(since)}&_count=${pageSize}`,
  );
  for (let pages = 0; page; pages++) {
    if (pages >= MAX_PAGES)
      throw new Error(`${resourceType}/_history: more than ${MAX_PAGES} pages; is the server's next link looping?`);
    for (const entry of (page.entry ?? []) as HistoryEntry[]) {
      const version = versionOf(entry, resourceType);
      if (version) found.set(`${version.resourceType}/${version.id}/${version.versionId}`, version);
    }
    page = await client.nextPage({ bundle: page as Parameters<Client['nextPage']>[0]['bundle'] });
  }
  return [...found.values()].sort(oldestFirst);
}

/** Reads an entry's identity from its resource, else from its request URL, ETag and full URL (a delete has no resource). */
function versionOf(entry: HistoryEntry, resourceType: string): FhirVersion | undefined {
  const deleted = entry.request?.method === 'DELETE' || entry.resource === undefined;
  const fromUrl = /(?:^|\/)([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/.exec(
    entry.request?.url ?? entry.fullUrl ?? '',
  );
  const id = entry.resource?.id ?? fromUrl?.[2];
  const versionId =
    entry.resource?.meta?.versionId ?? /^W\/"(.+)"$/.exec(entry.response?.etag ?? '')?.[1] ?? fromUrl?.[3];
  const lastUpdated = entry.resource?.meta?.lastUpdated ?? entry.response?.lastModified;
  if (!id || !versionId || (!lastUpdated && !deleted)) return undefined;
  return {
    resourceType: entry.resource?.resourceType ?? fromUrl?.[1] ?? resourceType,
    id,
    versionId,
    ...(lastUpdated ? { lastUpdated: new Date(lastUpdated).toISOString() } : {}),
    deleted,
  };
}

/** By time (a version without one first), then by version number within a resource. */
export function oldestFirst(a: FhirVersion, b: FhirVersion): number {
  return (a.lastUpdated ?? '').localeCompare(b.lastUpdated ?? '') || Number(a.versionId) - Number(b.versionId);
}
