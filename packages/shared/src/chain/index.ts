export {
  type AddressCheck,
  addressLookupForm,
  checkAddress,
  MAX_ADDRESS_LENGTH,
} from './address-decoder.js';
export {
  asBuffer,
  type DecodeTxidsOptions,
  decodeBlock,
  decodeBlockInSteps,
  decodeBlockTxids,
  decodeBlockWtxids,
  decodeTransaction,
} from './block-decoder.js';
export { coinbaseHeight, coinbaseTag, witnessCommitment } from './coinbase.js';
export { DecodeError } from './decode-error.js';
export { networkFromChain, UnknownChainError } from './network.js';
export { addressForScript, classifyScript, type ScriptInfo, scriptType } from './script.js';
export { hash160, sha256d } from './sha256.js';
export * from './types.js';
