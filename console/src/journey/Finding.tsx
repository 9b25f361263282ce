/** A rule's conditions, each with its answer and the value it saw: a gate's "why", and a trial's. */
export interface Finding {
  condition: string;
  passed: boolean;
  saw?: unknown;
  parts?: Finding[];
}

export function FindingView({ finding }: { finding: Finding }) {
  return <ul className="finding"><FindingItem finding={finding} /></ul>;
}

function FindingItem({ finding }: { finding: Finding }) {
  return (
    <li className={finding.passed ? "held" : "failed"}>
      <span className="answer">{finding.passed ? "✓ held" : "✗ did not hold"}</span>{" "}
      <code>{finding.condition}</code>
      {finding.parts ? (
        <ul>{finding.parts.map((part, i) => <FindingItem key={i} finding={part} />)}</ul>
      ) : (
        <> · saw <code>{finding.saw === undefined || finding.saw === null ? "nothing" : JSON.stringify(finding.saw)}</code></>
      )}
    </li>
  );
}
