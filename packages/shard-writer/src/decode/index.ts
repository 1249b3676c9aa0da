// The medical decoders' public surface: decodeMedical plus the format pieces a caller may want.
export { decodeMedical, detectMedical, medicalExtension } from './medical.js';
export { decodeDicom } from './dicom.js';
export { decodeNifti } from './nifti.js';
export { hasDicmPreamble, type MedicalFormat } from './detect.js';
export { SUPPORTED_TRANSFER_SYNTAXES, transferSyntax, type Codec, type TransferSyntax } from './transfer-syntax.js';
export type { MedicalMeta, MedicalSlice, StoredArray } from './types.js';
