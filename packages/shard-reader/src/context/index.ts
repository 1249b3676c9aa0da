// Context slices (2.5D): which neighbours each sample gets, and how they are stacked as channels.
export { contextTable, folderOf, seriesList, type ContextOptions, type ContextTable, type Series } from './neighbours.js';
export { naturalCompare } from './natural-order.js';
export { SeriesOrderCollector, type SeriesOrder } from './series-order.js';
export { stackRows, stackSlices } from './stack.js';
