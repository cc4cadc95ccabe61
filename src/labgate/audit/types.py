"""The transaction types of the audit log: one table, the only place a type is defined.

Like JupyterHub's `scopes.py`, the vocabulary is data: `record()` refuses a type that is
not here, documentation and the review report read their descriptions from here, and a new
kind of event starts by adding one line below. Names are `<area>.<verb>`, with a third
part only for a refusal that is its own type (`workspace.start.denied`).
"""

from __future__ import annotations

from typing import Final

TRANSACTION_TYPES: Final[dict[str, str]] = {
    # Sessions (AUTH)
    "login": "A person or system client logged in.",
    "login.failed": "A login was refused (wrong password, second factor, no authorisation).",
    "logout": "A person logged out, or their session was ended for being idle.",
    "terms.accept": "A person accepted a version of the terms of use.",
    # Workspaces (WS)
    "workspace.start": "A workspace was started.",
    "workspace.start.denied": "Starting a workspace was refused by policy.",
    "workspace.stop": "A workspace was stopped (by its user, the idle culler or an admin).",
    "file.access": "A file inside a project's data area was opened.",
    "enforcer.stop": "The enforcer stopped a workspace whose access had ended.",
    "enforcer.warn": "The enforcer warned a project's owners and managers of its end of access.",
    "export.request": "A person asked to take a file out of a workspace.",
    "export.decide": "A reviewer approved or rejected an export request.",
    # Data (DATA, PROJ)
    "data.mount": "A project's data was mounted into a workspace.",
    "data.materialise": "Register data was materialised (extracted and re-keyed) for a project.",
    "data.import": "A project imported its own data.",
    "data.delete": "A project's data was deleted, with a deletion confirmation.",
    "data.register": "A register or register version was added to the data catalogue.",
    "dataset.create": "A dataset (a selection of registers and variables) was defined.",
    "population.create": "A population (the set of units a project may see) was defined.",
    "grant.create": "A project was granted a dataset.",
    "grant.withdraw": "A project's grant of a dataset was withdrawn.",
    # Administration (INST, AUTH, PROJ)
    "institution.create": "An institution was registered.",
    "institution.authorise": "An institution was authorised for a scheme, or that ended.",
    "person.create": "A person was registered.",
    "person.second-factor-enrol": (
        "An authenticator app was registered for a person's second factor, or replaced one."
    ),
    "person.second-factor-remove": "A person's registered authenticator app was removed.",
    "authorisation.grant": "A person or client was entered in the authorisation register.",
    "authorisation.end": "An authorisation was ended before its term.",
    "role.assign": "A staff role (admin, data steward, security officer) was assigned.",
    "project.create": "A project was created.",
    "project.renew": "A project was renewed for a new period.",
    "project.extend": "A project's end date was extended.",
    "project.expire": "A project reached its end and its access ended.",
    "membership.add": "A person was added to a project.",
    "membership.end": "A person's project membership ended.",
    "membership.carry": "A project's new term carried its members' memberships over to it.",
    # The log itself (LOG)
    "audit.search": "Someone searched the audit log (the filters are in the detail).",
    "audit.stats": "Someone read transaction statistics.",
    "audit.export": "Someone exported audit events.",
    "audit.verify": "The audit chain was verified (the result is in the detail).",
    "review.signoff": "A quarterly control was signed off.",
    "review.adhoc": "An ad-hoc control of one user was signed off.",
    "review.overdue": "A quarterly control fell overdue; the security officers were told.",
}


def is_known(type_: str) -> bool:
    return type_ in TRANSACTION_TYPES


def check_type(type_: str) -> str:
    """`type_` itself, or ValueError naming it when it is not in the vocabulary."""
    if type_ not in TRANSACTION_TYPES:
        raise ValueError(
            f"unknown audit transaction type {type_!r}: add it to "
            "labgate.audit.types.TRANSACTION_TYPES"
        )
    return type_
