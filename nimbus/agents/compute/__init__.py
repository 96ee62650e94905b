"""The compute agent: one host\x27s guests, run by QEMU (or the fake driver)."""
