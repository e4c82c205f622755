"""Off-chain documents (commercial terms) stored by their hash: the chain holds only the hash."""
