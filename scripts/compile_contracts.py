"""Compile contracts/ into platform/tradeledger/chain/artifacts/ (run by `make contracts`)."""

from tradeledger.chain.compiler import ARTIFACTS_DIR, compile_all, write_artifacts


def main() -> None:
    artifacts = compile_all()
    write_artifacts(artifacts)
    for name, artifact in artifacts.items():
        print(f"{name:<28} {len(artifact.deployed_bytecode) // 2 - 1:>6} bytes  {artifact.source_name}")
    print(f"{len(artifacts)} artifacts written to {ARTIFACTS_DIR}")


if __name__ == "__main__":
    main()
