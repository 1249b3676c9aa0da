// shard-writer public API: build a dataset, plus the pieces a custom pipeline may reuse.
export { buildShards, type BuildSummary } from './build.js';
export { BUILD_DEFAULTS, BUILD_DTYPES, DEFAULT_SHARD_BYTES, defaultWorkers, FITS, KERNELS, ON_ERROR, type Kernel, parseBytes, parseRescale, resolveOptions, type BuildOptions, type BuildProgress, type OnError } from './options.js';
export { InputError } from './errors.js';
export { discoverSlices, IMAGE_EXTENSIONS, type Discovery, type SliceFile } from './discover.js';
export { parseLabels, LABELS_FILE, type LabelTable } from './labels.js';
export { joinLabels, type LabelJoin, type PlannedSlice } from './join-labels.js';
export { configureDecoder, preprocessSlice, narrowTo8Bit, type PreprocessOptions } from './preprocess.js';
export { applyWindow, parseWindow, parseWindowChoice, parseWindows, WINDOW_PRESETS, type CtWindow, type WindowChoice } from './window.js';
export { mapValues, parseIntensity, intensityText, ValueTotals, type IntensityMode, type ValueOptions, type SampleValues } from './values.js';
export { resampleTo } from './resample.js';
export { mapOrdered, type Settled } from './map-ordered.js';
export { ShardSetWriter, writeAtomic } from './shard-set-writer.js';
export { buildSplit, type SplitBuildSummary, type SplitOptions } from './split-build.js';
export { joinInputs, type TreeLabelSource } from './label-source.js';
export { NO_META, type SliceMeta, type SliceMetaLookup } from './slice-meta.js';
export { LABELS_FORMATS, joinTreeLabels, parseLabelColumns, parseTreeLabels, type LabelsFormat, type TreeLabelTable } from './tree-labels/index.js';
export * from './split/index.js';
export { decodeMedical, decodeDicom, decodeNifti, detectMedical, medicalExtension, hasDicmPreamble, SUPPORTED_TRANSFER_SYNTAXES, transferSyntax, type Codec, type MedicalFormat, type MedicalMeta, type MedicalSlice, type StoredArray, type TransferSyntax } from './decode/index.js';
