import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LIMITS, RecordContentError, recordView, type RecordView } from './content-view.js';
import { hl7Time } from './hl7-view.js';
import { narrativeText } from './narrative.js';

const sample = (name: string) => readFileSync(new URL(`../../test/fixtures/hl7/${name}.hl7`, import.meta.url), 'utf8');
/** The samples are stored with LF; on the wire segments end in CR. */
const bothWays = (text: string) => [text, text.replace(/\r?\n/g, '\r')];

test('an ORU^R01 lab result reads as patient, results with units, flags and times, grouped by panel', () => {
  for (const text of bothWays(sample('LAB-ORU-1'))) {
    const view = recordView(text, 'application/hl7-v2');
    assert.equal(view.kind, 'ORU^R01');
    assert.deepEqual(view.patient, {
      names: ['DUCK, DONALD D'],
      identifiers: [{ value: '10006579', type: 'MR', system: '1' }],
      birthDate: '1924-10-10',
      sex: 'M',
    });
    assert.equal(view.results.length, 10);
    assert.deepEqual(view.results[1], {
      panel: 'Hemogram and platelet count, automated',
      name: 'ERYTHROCYTES',
      code: '11273-0',
      value: '4.06',
      attachment: undefined,
      units: 'tera.l-1',
      referenceRange: undefined,
      flags: ['N'],
      abnormal: false,
      status: 'P',
      time: '2014-10-06 06:27:00 +07:00',
    });
    assert.equal(view.results[5]?.panel, 'Differential WBC Count, buffy coat');
    assert.deepEqual(view.other, [{ name: 'SPM', count: 2 }], 'the specimen segments are listed, not dropped');
  }
});

test('coded and repeated values, reference ranges and abnormal flags, notes with escapes decoded', () => {
  const view = recordView(sample('ORU-R01-01'));
  const salmonella = view.results.find((r) => r.code === '625-4');
  assert.deepEqual(
    [salmonella?.value, salmonella?.units, salmonella?.referenceRange, salmonella?.flags, salmonella?.abnormal],
    ['Salmonella', 'beats/min', '70-80', ['A'], true],
  );
  assert.equal(view.results.find((r) => r.name === 'Bacteria identified')?.value, '27, 25');
  assert.equal(view.results.find((r) => r.attachment)?.attachment, 'NS/Octet-stream', 'ED data is named, not dumped');
  assert.deepEqual(view.documents[0], {
    kind: 'note',
    title: 'Bacteria identified in Stool by Culture',
    text: 'Enteric culture includes testing for Salmonella, Shigella, Campylobacter, Yersinia, E.coli O157:H7 & other STECs, and Aeromonas',
  });
  assert.deepEqual(
    view.other.map((o) => `${o.name}×${o.count}`),
    ['SFT×1', 'PRT×8', 'PV1×1', 'ORC×1', 'TQ1×1', 'CTD×1', 'FT1×1', 'CTI×1', 'SPM×1'],
  );

  const adt = recordView(sample('ADT-A01-01'));
  assert.deepEqual(adt.patient?.names, ['EVERYMAN, ADAM A', 'Josh, stanley']);
  assert.deepEqual(adt.patient.identifiers, [
    { value: 'PATID1234', type: 'MR', system: 'test1' },
    { value: '123456789', type: 'SS', system: 'USSSA' },
  ]);
  assert.equal(adt.patient.birthDate, '1988-08-18 11:26 +02:15');
  assert.deepEqual(
    adt.results.map((r) => [r.name, r.value, r.units, r.referenceRange, r.flags, r.abnormal]),
    [['heartrate', '60, 120', 'beats/min', '70-80', ['A', 'B'], true]],
  );
});

test('pharmacy orders: what was ordered, given and dispensed, with dose, route and instructions', () => {
  const rde = recordView(sample('RDE-O11-01')).medications;
  assert.deepEqual(
    rde.map((m) => [m.step, m.name, m.dose, m.route]),
    [
      ['order', 'Ampicillin 250 mg caps', '2 capsule', 'IV Infusion'],
      ['give', '200 ML BAG : NICARDIPINE IN NACL (ISO-OS) 40 MG/200 ML IV PGBK', '5 mg/hr', 'Intravenous'],
    ],
  );
  assert.equal(rde[1]?.instructions?.split('\n')[0], 'Titrate to BP less than 180');
  const rds = recordView(sample('RDS-O13-01')).medications;
  assert.deepEqual(rds.at(-1), {
    step: 'dispense',
    name: 'Doxycycline',
    code: '01151327',
    dose: '10 Tablet',
    instructions: undefined,
    time: '2020-12-12',
    route: 'oral',
  });
});

test('an MDM^T02 document: its TX lines joined, every HL7 escape decoded, a Chinese name as written', () => {
  const mdm = [
    'MSH|^~\\&|EMR|H|WALLET|H|20260301083000+0800||MDM^T02^MDM_T02|42|P|2.5||||||UNICODE UTF-8',
    'PID|1||P-7^^^HOSP^MR||张^三||19800102|F',
    'TXA|1|DS^Discharge summary^LN|TX|20260301083000',
    'OBX|1|TX|||Dose 5\\S\\10 mg \\T\\ rest \\F\\ ok\\R\\twice \\E\\ done\\.br\\Line two \\H\\bold\\N\\ \\X41\\ \\Z99\\',
    'OBX|2|TX|||Second line~Third line',
    'ZXY|custom',
  ].join('\r');
  const view = recordView(mdm);
  assert.deepEqual(view.patient?.names, ['张三']);
  assert.deepEqual(view.documents, [
    {
      kind: 'document',
      title: 'Discharge summary',
      text: 'Dose 5^10 mg & rest | ok~twice \\ done\nLine two bold A \\Z99\\\nSecond line\nThird line',
    },
  ]);
  assert.deepEqual(view.results, [], 'a document’s text lines are not results');
  assert.deepEqual(view.other, [{ name: 'ZXY', count: 1 }]);
});

test('FHIR: a Bundle of patient, observations, report, documents and a prescription; unknown resources listed', () => {
  const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: 'urn:hosp', value: 'P-7', type: { coding: [{ code: 'MR' }] } }],
          name: [{ family: '王', given: ['芳'] }, { text: 'Fang Wang' }],
          birthDate: '1980-01-02',
          gender: 'female',
        },
      },
      {
        resource: {
          resourceType: 'DiagnosticReport',
          code: { text: 'Basic metabolic panel' },
          result: [{ reference: 'Observation/k' }],
          conclusion: 'Potassium high.',
          presentedForm: [{ contentType: 'application/pdf', data: 'JVBERi0=' }],
        },
      },
      {
        resource: {
          resourceType: 'Observation',
          id: 'k',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] },
          valueQuantity: { value: 5.9, unit: 'mmol/L' },
          referenceRange: [{ low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5.1, unit: 'mmol/L' } }],
          interpretation: [{ coding: [{ code: 'H' }] }],
          effectiveDateTime: '2026-03-01T08:30:00+08:00',
        },
      },
      {
        resource: {
          resourceType: 'Observation',
          code: { text: 'Blood pressure' },
          component: [
            {
              code: { text: 'Systolic' },
              valueQuantity: { value: 150, unit: 'mmHg' },
              interpretation: [{ text: 'HH' }],
            },
            { code: { text: 'Diastolic' }, valueQuantity: { value: 80, unit: 'mmHg' } },
          ],
        },
      },
      {
        resource: {
          resourceType: 'DocumentReference',
          description: 'Clinic letter',
          content: [
            {
              attachment: { contentType: 'text/plain; charset=utf-8', data: b64('Dear colleague,\n复诊 in 2 weeks.') },
            },
          ],
        },
      },
      {
        resource: {
          resourceType: 'Composition',
          title: 'Discharge summary',
          section: [
            {
              title: 'Course',
              text: {
                div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Stable &amp; <b>well</b>.</p><script>alert(1)</script><img src=x onerror=alert(2)><ul><li>Rest</li><li>Fluids &lt;2L&gt;</li></ul></div>',
              },
            },
          ],
        },
      },
      {
        resource: {
          resourceType: 'MedicationRequest',
          medicationCodeableConcept: { coding: [{ code: '197361', display: 'Amlodipine 5 mg tablet' }] },
          authoredOn: '2026-03-01',
          dosageInstruction: [
            {
              text: 'One tablet daily',
              route: { text: 'oral' },
              doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }],
            },
          ],
        },
      },
      { resource: { resourceType: 'Encounter' } },
      { resource: { resourceType: 'Encounter' } },
    ],
  };
  const view = recordView(JSON.stringify(bundle), 'application/fhir+json');
  assert.equal(view.kind, 'Bundle');
  assert.deepEqual(view.patient, {
    names: ['王芳', 'Fang Wang'],
    identifiers: [{ value: 'P-7', type: 'MR', system: 'urn:hosp' }],
    birthDate: '1980-01-02',
    sex: 'female',
  });
  assert.deepEqual(
    view.results.map((r) => [r.panel, r.name, r.code, r.value, r.units, r.referenceRange, r.flags, r.abnormal]),
    [
      ['Basic metabolic panel', 'Potassium', '2823-3', '5.9', 'mmol/L', '3.5–5.1 mmol/L', ['H'], true],
      ['Blood pressure', 'Systolic', undefined, '150', 'mmHg', undefined, ['HH'], true],
      ['Blood pressure', 'Diastolic', undefined, '80', 'mmHg', undefined, [], false],
    ],
  );
  assert.equal(view.results[0]?.time, '2026-03-01T08:30:00+08:00');
  assert.deepEqual(view.documents, [
    { kind: 'document', title: 'Basic metabolic panel', text: 'Potassium high.' },
    { kind: 'document', title: 'Basic metabolic panel', text: '', attachment: 'application/pdf' },
    { kind: 'document', title: 'Clinic letter', text: 'Dear colleague,\n复诊 in 2 weeks.' },
    { kind: 'document', title: 'Discharge summary', text: 'Course\nStable & well.\n\n• Rest\n\n• Fluids <2L>' },
  ]);
  assert.deepEqual(view.medications, [
    {
      step: 'request',
      name: 'Amlodipine 5 mg tablet',
      code: '197361',
      dose: '1 tablet',
      route: 'oral',
      instructions: 'One tablet daily',
      time: '2026-03-01',
    },
  ]);
  assert.deepEqual(view.other, [{ name: 'Encounter', count: 2 }]);
});

test('narrative: no markup survives, whatever the tags hide', () => {
  for (const html of [
    '<div><script>x</script><style>p{}</style><!-- c --><iframe src=x></iframe>ok</div>',
    '<div>ok<scr<script>ipt>alert(1)</script></div>',
    '<div>ok<a href="javascript:alert(1)" onclick="x"></a><img src=x onerror="y"',
  ]) {
    const text = narrativeText(html);
    assert.ok(!/[<>]/.test(text), `${html} → ${text}`);
    assert.ok(text.startsWith('ok'), text);
  }
  assert.equal(narrativeText('<p>a&#x4e2d;&#25991;&nbsp;b &bogus; &#0;</p>'), 'a中文 b &bogus; \ufffd');
});

test('hostile content: bounded, refused with a message naming what is wrong, never a stack', () => {
  const refused = (text: string, contentType: string, pattern: RegExp) =>
    assert.throws(
      () => recordView(text, contentType),
      (error: unknown) => error instanceof RecordContentError && pattern.test(error.message),
    );
  refused('x'.repeat(LIMITS.chars + 1), '', /characters long, more than/);
  refused('hello', 'text/plain', /neither HL7 v2 .* nor FHIR JSON .*"text\/plain"/);
  refused('{"resourceType":', 'application/fhir+json', /not JSON/);
  refused('[1]', 'application/fhir+json', /not a resource/);
  refused(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'application/fhir+json', /nested more than 64/);
  refused('MSH', 'application/hl7-v2', /field separator/);
  refused('MSHA^~', 'application/hl7-v2', /field separator/);
  refused(`MSH|^~\\&|A\r${'NTE|1||x\r'.repeat(LIMITS.segments)}`, '', /segments, more than/);
  const attachment = { resourceType: 'DocumentReference', content: [{ attachment: { data: '!!!' } }] };
  refused(JSON.stringify(attachment), '', /attachment is not valid base64/);
  // resources of the wrong shape read as what they have, not as an exception
  const odd = {
    resourceType: 'Bundle',
    entry: [{ resource: { resourceType: 'Patient', name: 5, identifier: 'x' } }, 7],
  };
  const view: RecordView = recordView(JSON.stringify(odd));
  assert.deepEqual(view.patient, { names: [], identifiers: [], birthDate: undefined, sex: undefined });
  // a long attachment is cut where the view stops reading it
  const long = {
    resourceType: 'DocumentReference',
    content: [{ attachment: { data: btoa('a'.repeat(LIMITS.attachmentChars * 2)) } }],
  };
  const text = recordView(JSON.stringify(long)).documents[0]?.text ?? '';
  assert.ok(text.endsWith('…') && text.length <= LIMITS.attachmentChars + 3, `${text.length}`);
  const started = performance.now();
  recordView(`MSH|^~\\&|A\r${`OBX|1|ST|||${'\\'.repeat(50_000)}\r`.repeat(50)}`);
  assert.ok(performance.now() - started < 2000, 'escape decoding stays linear');
});

test('HL7 times are shown readably, anything else as sent', () => {
  assert.equal(hl7Time('20141006064500+0700'), '2014-10-06 06:45:00 +07:00');
  assert.equal(hl7Time('198808181126'), '1988-08-18 11:26');
  assert.equal(hl7Time('2014'), '2014');
  assert.equal(hl7Time('20240102120000.1234'), '2024-01-02 12:00:00');
  assert.equal(hl7Time('yesterday'), 'yesterday');
});
