// Context slices (2.5D): which neighbours each sample gets, and how they are stacked as channels.
export { contextTable, folderOf, type ContextOptions, type ContextTable } from './neighbours.js';
export { naturalCompare } from './natural-order.js';
export { stackRows, stackSlices } from './stack.js';
