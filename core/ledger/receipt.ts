/** A transaction receipt as FISCO BCOS 3.x JSON-RPC returns it. */
export interface Receipt {
  version: number;
  /** The transaction (= data) hash, 0x-prefixed. */
  transactionHash: string;
  blockNumber: number;
  status: number;
  /** The revert reason or pool rejection, when there is one. */
  message: string;
  output: string;
  contractAddress: string;
  from: string;
  to: string;
  gasUsed: string;
  input: string;
  logEntries: Array<{ address: string; topics: string[]; data: string }>;
}
