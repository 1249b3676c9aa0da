// shard-writer public API, picked by hand: build a dataset (whole or split), its options with their
// defaults and parsers, and the shard-set writer for a custom pipeline. Discovery, decoding, label
// joins and split planning are internals (tests and bench scripts reach them by deep path).
export { buildShards, type BuildSummary } from './build.js';
export { BUILD_DEFAULTS, BUILD_DTYPES, defaultWorkers, FITS, KERNELS, ON_ERROR, parseBytes, parseRescale, resolveOptions, type BuildOptions, type BuildProgress, type Kernel, type OnError } from './options.js';
export { InputError } from './errors.js';
export { LABELS_FILE } from './labels.js';
export { LABELS_FORMATS, parseLabelColumns, type LabelsFormat } from './tree-labels/index.js';
export { parseWindow, parseWindowChoice, parseWindows, WINDOW_PRESETS, type CtWindow, type WindowChoice } from './window.js';
export { parseIntensity, type IntensityMode } from './values.js';
export { buildSplit, type SplitBuildSummary, type SplitOptions } from './split-build.js';
export { groupOf, parseGroupBy, parseSplitDocument, parseSplitSpec, SPLIT_FILE, type GroupBy, type SplitDocument, type SplitRatio } from './split/index.js';
export { ShardSetWriter, writeAtomic } from './shard-set-writer.js';
export { mergeParts, type MergeOptions, type MergeSummary } from './merge-parts.js';
export { LocalPartSource, type PartSource } from './part-source.js';
export { PART_FILE, decodePartRecord, type PartRecord } from './part-record.js';
export type { PartSummary } from './part-build.js';
