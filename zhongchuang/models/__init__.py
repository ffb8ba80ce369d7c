"""SQLAlchemy 2.x typed models, one module per aggregate."""

from zhongchuang.models.accounts import (
    ENTERPRISE_SIZES,
    ORG_KINDS,
    ROLES,
    STAFF_ROLES,
    ApiToken,
    Invitation,
    Organization,
    PasswordReset,
    Person,
    User,
    UserRole,
)
from zhongchuang.models.audit import AuditEvent, AuditHead
from zhongchuang.models.cases import (
    HOLDING_STATES,
    STATES,
    Application,
    Attachment,
    BenefitClaim,
    ExpertAssignment,
    MakerSpace,
    RosterRow,
)
from zhongchuang.models.catalogue import (
    Article,
    Batch,
    CatalogueVersion,
    Parameter,
    Policy,
    PolicyEvent,
    Program,
)
from zhongchuang.models.documents import (
    DOCUMENT_KINDS,
    Document,
    DocumentSequence,
    Issuer,
)
from zhongchuang.models.messages import Notification, OutboxMail
from zhongchuang.models.notices import Notice, NoticeItem, Objection
from zhongchuang.models.stats import CaseStay, StatsSnapshot
from zhongchuang.models.time_limits import TimeLimitReminder

__all__ = [
    "DOCUMENT_KINDS",
    "Document",
    "DocumentSequence",
    "Issuer",
    "ENTERPRISE_SIZES",
    "HOLDING_STATES",
    "ORG_KINDS",
    "ROLES",
    "STAFF_ROLES",
    "STATES",
    "ApiToken",
    "Invitation",
    "PasswordReset",
    "Application",
    "Article",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Batch",
    "BenefitClaim",
    "CaseStay",
    "CatalogueVersion",
    "ExpertAssignment",
    "MakerSpace",
    "Notice",
    "StatsSnapshot",
    "TimeLimitReminder",
    "NoticeItem",
    "Notification",
    "Objection",
    "Organization",
    "OutboxMail",
    "Parameter",
    "Person",
    "Policy",
    "PolicyEvent",
    "Program",
    "RosterRow",
    "User",
    "UserRole",
]
