"""Where a component's calls go besides its own target."""

from gdpr_operator.aws import Target
from gdpr_operator.model import GLOBAL_REGION


def iam_target(target: Target) -> Target:
    """The account's IAM target: IAM is global, its calls go to the GLOBAL_REGION target."""
    return Target(target.access, GLOBAL_REGION)
