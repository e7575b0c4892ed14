"""The CloudWatch agent's role, its instance profile, and that profile on the selected instances.

Two components: `AgentRole` (account-wide, as IAM is: iam.agent_role, iam.instance_profile)
and `InstanceProfiles` (per region: ec2.instance_profile_attached,
ec2.instance_agent_permissions, ssm.managed_instance).
"""

from gdpr_operator.reconcilers.instance_profiles._instances import InstanceProfiles
from gdpr_operator.reconcilers.instance_profiles._role import AgentRole

__all__ = ["AgentRole", "InstanceProfiles"]
