"""Code quality: size, complexity, duplication, lint, tests, dependencies, licence, secrets and
activity of a repository, read as text only — nothing from the analysed code is ever run."""
