/**
 * A record's decoded text as it is. Placeholder for helper B's RecordView (HL7 v2 and FHIR shown
 * readably), which takes its place at the merge with these same props.
 */
export function RecordContent(props: { text: string; contentType: string }) {
  return (
    <pre
      className="m-0 max-h-96 overflow-auto whitespace-pre-wrap break-all rounded bg-gray-100 p-3 text-sm"
      data-content-type={props.contentType}
      data-testid="record-content"
      // scrollable content must be reachable by keyboard
      tabIndex={0}
    >
      {/* HL7 v2 ends segments with a bare CR, which a browser does not break a line on */}
      {props.text.replace(/\r\n?/g, '\n')}
    </pre>
  );
}
