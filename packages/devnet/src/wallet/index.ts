/** Deterministic seeded wallet: labelled addresses of every common type, coin selection and signing. */
export { WalletError } from './wallet.errors.js';
export {
  ADDRESS_TYPES,
  type AddressType,
  createWallet,
  deriveKey,
  type OwnedAddress,
  type SendRequest,
  type SignedTx,
  type Wallet,
  type WalletChainView,
  type WalletOptions,
  type WalletOutput,
} from './wallet.js';
