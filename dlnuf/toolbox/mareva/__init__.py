"""Value of a project in the spirit of MAREVA 2."""
