// Patient-level splits that cannot leak: group keys, seeded (optionally stratified) assignment, split.json.
import { assignGroups } from './assign.js';
import { makeSplitDocument, type SplitDecision, type SplitDocument } from './document.js';
import { sharedPatientIds } from './group-by.js';
import { collectGroups, type LabelledSample } from './groups.js';
import { splitReport } from './report.js';

export { assignGroups, SplitState, type AssignOptions } from './assign.js';
export { documentRatios, fixedAssignment, makeSplitDocument, parseSplitDocument, SPLIT_FILE, SPLIT_FORMAT, SPLIT_VERSION, type SplitDecision, type SplitDocument, type SplitGroup } from './document.js';
export { formatGroupBy, groupOf, parseGroupBy, ROOT_GROUP, sharedPatientIds, type GroupBy } from './group-by.js';
export { collectGroups, type GroupStats, type LabelledSample } from './groups.js';
export { checkRatios, formatSplitSpec, parseSplitSpec, type SplitRatio } from './ratios.js';
export { splitReport, type PrevalenceDeviation, type SplitCounts, type SplitReport } from './report.js';
export { seededOrder, seededRank } from './seeded-order.js';
export { stratifiedOrder } from './stratify.js';

export interface PlannedSplit {
  document: SplitDocument;
  /** Sample key -> split name. */
  splitOf: Map<string, string>;
  /** Things the user should know (shared PatientIDs, empty splits). */
  warnings: string[];
}

/** The whole decision for a set of labelled samples: group, assign, report, document. */
export function planSplit(samples: LabelledSample[], d: SplitDecision, fixed?: ReadonlyMap<string, string>): PlannedSplit {
  const groups = collectGroups(samples, d.groupBy, d.labelNames.length);
  const assignment = assignGroups(groups, d.splits, { seed: d.seed, stratify: d.stratify, fixed });
  const report = splitReport(groups, assignment, d.splits.map((s) => s.name), d.labelNames);
  const document = makeSplitDocument(d, groups, assignment, report);
  const splitOf = new Map<string, string>();
  for (const g of groups) for (const k of g.keys) splitOf.set(k, assignment.get(g.name)!);
  const warnings: string[] = d.groupBy.kind === 'patient' ? sharedPatientIds(samples) : [];
  for (const [name, c] of Object.entries(report.splits)) {
    if (c.samples === 0) warnings.push(`split ${name} is empty: ${groups.length} groups are too few for ${d.splits.map((s) => `${s.name}=${s.ratio}`).join(',')}`);
  }
  return { document, splitOf, warnings };
}
