/** Errors of the devnet wallet. */
import { NonRetryableError } from '@minetrace/shared/errors';

/** The wallet cannot build the requested transaction (no coins, unknown coin, bad address). */
export class WalletError extends NonRetryableError {
  override name = 'WalletError';
}
