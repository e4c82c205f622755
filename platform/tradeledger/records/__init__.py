"""Transferable records (electronic bills of lading and records of the same shape) with exclusive control."""
