"""The only code that touches web3 / eth-*: artifacts, backends, keys, deployment, sessions."""
