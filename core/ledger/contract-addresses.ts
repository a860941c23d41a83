/** Where Yilian's contracts live on the chain a client talks to. */
export interface ContractAddresses {
  directory: string;
  recordRegistry: string;
  drugTrace: string;
}
