/** F2Pool's mainnet payout address (P2PKH). */
export const F2POOL = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY';
/** An address on OFAC's sanctions list (test/fixtures/ofac). */
export const OFAC = '123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX';
/** BIP173's P2WPKH example (bech32). */
export const BIP173 = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';

/**
 * A tag CSV of three rows, one per address above, for import tests: two exchange tags with a number
 * as confidence, and a perpetrator tag with the word `authority_data`.
 */
export const SAMPLE_TAGS_CSV = [
  'address,label,category,source,confidence',
  `${F2POOL},Example Exchange,exchange,https://example.org,0.5`,
  `${OFAC},Lazarus Group,perpetrator,https://example.org,authority_data`,
  `${BIP173},Example Exchange,exchange,https://example.org,0.5`,
].join('\n');
