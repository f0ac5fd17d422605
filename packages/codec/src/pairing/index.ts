// Pairing: the `formats` metadata, the paths of a pair's members, and combining a text's cells with a .ipynb's outputs.
export { combineInputsAndOutputs, matchCells, type CellMatch, type CombineOptions, type Combined } from './combine.js';
export { PairingError } from './errors.js';
