"""The data store: raw registers and key tables in the vault, pseudonymised data per project.

Modules, one per concern:

- `layout`: where everything lives under the data root, and the modes that guard it;
- `synthetic`: deterministic, never-real registers for demos, tests and benchmarks;
- `registry`: registering a dataset file (validated against its declaration) into the vault;
- `keys`: per-project random running numbers (pseudonyms) for identifiers (DATA-1..3);
- `materialise`: a grant turned into read-only Parquet in the project area (DATA-4, 7, 8);
- `populations`: a project database's populations, kept in the vault (PROJ-5);
- `ingress`: a project's own data, keyed like any register (DATA-6);
- `deletion`: deleting a project's data with a confirmation of content hashes (PROJ-8, 9).
"""
