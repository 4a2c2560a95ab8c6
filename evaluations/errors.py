"""The one base of every refusal the rules make. A service raises a DomainError
(or a subclass) with a message for the person; views show str(error)."""


class DomainError(Exception):
    """An operation the rules do not allow; str(error) is shown to the person."""
