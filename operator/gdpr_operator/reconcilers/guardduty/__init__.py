"""Amazon GuardDuty: checks guardduty.detector_enabled, .publishing_frequency, .features,
.organization_auto_enable."""

from gdpr_operator.reconcilers.guardduty._reconciler import GuardDuty

__all__ = ["GuardDuty"]
