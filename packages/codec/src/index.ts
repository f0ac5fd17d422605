// Text formats (percent, light, markdown, …): formats/. Pairing (`formats` metadata, paired paths, sync merge): pairing/.
export * from './formats/index.js';
export * from './pairing/index.js';
