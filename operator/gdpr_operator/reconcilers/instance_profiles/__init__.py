"""The CloudWatch agent's role, its instance profile, and that profile on the selected instances.

Two components: `AgentRole` (account-wide, as IAM is: iam.agent_role, iam.instance_profile)
and `InstanceProfiles` (per region: ec2.instance_profile_attached,
ec2.instance_agent_permissions, ssm.managed_instance).

- `_checks.py`: the checks, their IAM actions and grants.
- `_observe.py`: every read (IAM, EC2, SSM), and the reads a pass shares.
- `_role_diff.py`: the role and profile, what is wrong with them and the calls that repair them.
- `_instance_diff.py`: a selected instance, the same.
- `_policy.py`: the agent's policies and its role's trust.
- `_reconciler.py`: both components (observe, diff, settle) and the release.
"""

from gdpr_operator.reconcilers.instance_profiles._reconciler import AgentRole, InstanceProfiles

__all__ = ["AgentRole", "InstanceProfiles"]
