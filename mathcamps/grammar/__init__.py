"""Make a structure: the tree, the published-syntax parser, the exact evaluator and checker, sampling, follow-ups."""
