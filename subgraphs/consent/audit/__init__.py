"""The access log (DOMAIN.md: the consent secretariat keeps it): the audit chain's store, in a
database of its own that only the consent service writes — tables, migrations, appending with
group commit, signed checkpoints, verification and the auditors' reads."""
