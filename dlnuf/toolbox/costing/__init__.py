"""Cost-estimate review: PERT, COCOMO II, IFPUG and reference classes."""
