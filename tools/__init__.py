"""What only helps: the local Lambda runtime, benchmarks, reliability tests and deploy tools.

Nothing under function/, layer/ or convert/ imports this package; it imports them.
"""
